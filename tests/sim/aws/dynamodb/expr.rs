//! DynamoDB's expression language as far as a strict simulation needs it:
//! condition and filter expressions, key conditions, update expressions
//! and projections, with `ExpressionAttributeNames`/`Values` substituted
//! and their use tracked (AWS refuses unused and undefined ones). What the
//! parser does not know is `SimUnsupportedExpression`, never a guess.
//! Source: the developer guide's "Condition and filter expressions,
//! operators, and functions", "Update expressions", "Key condition
//! expressions", "Projection expressions", "Reserved words".

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use super::value::{Item, AV};
use super::DdbError;

/// One step of a document path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Name(String),
    Index(usize),
}

pub type Path = Vec<Step>;

pub fn show_path(p: &Path) -> String {
    let mut out = String::new();
    for s in p {
        match s {
            Step::Name(n) if out.is_empty() => out.push_str(n),
            Step::Name(n) => {
                out.push('.');
                out.push_str(n)
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

pub fn get<'a>(item: &'a Item, path: &Path) -> Option<&'a AV> {
    let Some(Step::Name(first)) = path.first() else {
        return None;
    };
    let mut cur = item.get(first)?;
    for s in &path[1..] {
        cur = match (s, cur) {
            (Step::Name(n), AV::M(m)) => m.get(n)?,
            (Step::Index(i), AV::L(l)) => l.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Name(String),
    Value(String),
    Int(String),
    LParen,
    RParen,
    LBrack,
    RBrack,
    Comma,
    Dot,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
}

fn show(t: &Tok) -> String {
    match t {
        Tok::Ident(s) | Tok::Name(s) | Tok::Value(s) | Tok::Int(s) => s.clone(),
        Tok::LParen => "(".into(),
        Tok::RParen => ")".into(),
        Tok::LBrack => "[".into(),
        Tok::RBrack => "]".into(),
        Tok::Comma => ",".into(),
        Tok::Dot => ".".into(),
        Tok::Eq => "=".into(),
        Tok::Ne => "<>".into(),
        Tok::Lt => "<".into(),
        Tok::Le => "<=".into(),
        Tok::Gt => ">".into(),
        Tok::Ge => ">=".into(),
        Tok::Plus => "+".into(),
        Tok::Minus => "-".into(),
    }
}

/// An expression's size limit, counted on the raw text (the developer
/// guide's "Expression parameters"; 4096 accepted, 4097 refused).
const MAX_EXPRESSION_BYTES: usize = 4096;
/// Operators and functions one expression may hold.
const MAX_OPERATORS: usize = 300;

/// A literal as AWS shows it in its messages: `N:5`.
fn brief(v: &AV) -> String {
    match v {
        AV::S(s) => format!("S:{s}"),
        AV::N(n) => format!("N:{}", n.text()),
        other => format!(
            "{}:{}",
            other.type_name(),
            other.to_json()[other.type_name()]
        ),
    }
}

fn operators(c: &Cond) -> usize {
    let size = |o: &Operand| usize::from(matches!(o, Operand::Size(_)));
    match c {
        Cond::Or(a, b) | Cond::And(a, b) => 1 + operators(a) + operators(b),
        Cond::Not(a) => 1 + operators(a),
        Cond::Paren(a) => operators(a),
        Cond::Cmp(a, _, b) | Cond::BeginsWith(a, b) | Cond::Contains(a, b) => 1 + size(a) + size(b),
        Cond::Between(a, b, d) => 1 + size(a) + size(b) + size(d),
        Cond::In(a, l) => 1 + size(a) + l.iter().map(size).sum::<usize>(),
        Cond::Exists(_) | Cond::NotExists(_) => 1,
        Cond::Type(_, t) => 1 + size(t),
    }
}

/// Which expression is being read: AWS names it in its messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Condition,
    Filter,
    KeyCondition,
    Update,
    Projection,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Condition => "ConditionExpression",
            Kind::Filter => "FilterExpression",
            Kind::KeyCondition => "KeyConditionExpression",
            Kind::Update => "UpdateExpression",
            Kind::Projection => "ProjectionExpression",
        }
    }
}

fn ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn lex(kind: Kind, text: &str) -> Result<Vec<Tok>, DdbError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let syntax = |tok: &str, i: usize| {
        let near: String = chars[i.saturating_sub(0)..].iter().take(10).collect();
        DdbError::validation(format!(
            "Invalid {}: Syntax error; token: \"{tok}\", near: \"{near}\"",
            kind.label()
        ))
    };
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        let (tok, len) = match (c, two.as_str()) {
            (_, "<>") => (Tok::Ne, 2),
            (_, "<=") => (Tok::Le, 2),
            (_, ">=") => (Tok::Ge, 2),
            ('<', _) => (Tok::Lt, 1),
            ('>', _) => (Tok::Gt, 1),
            ('=', _) => (Tok::Eq, 1),
            ('(', _) => (Tok::LParen, 1),
            (')', _) => (Tok::RParen, 1),
            ('[', _) => (Tok::LBrack, 1),
            (']', _) => (Tok::RBrack, 1),
            (',', _) => (Tok::Comma, 1),
            ('.', _) => (Tok::Dot, 1),
            ('+', _) => (Tok::Plus, 1),
            ('-', _) => (Tok::Minus, 1),
            ('#' | ':', _) => {
                let mut j = i + 1;
                while j < chars.len() && ident_char(chars[j]) {
                    j += 1;
                }
                if j == i + 1 {
                    return Err(syntax(&c.to_string(), i));
                }
                let word: String = chars[i..j].iter().collect();
                let tok = if c == '#' {
                    Tok::Name(word)
                } else {
                    Tok::Value(word)
                };
                (tok, j - i)
            }
            (c, _) if c.is_ascii_digit() => {
                let mut j = i;
                while j < chars.len() && chars[j].is_ascii_digit() {
                    j += 1;
                }
                (Tok::Int(chars[i..j].iter().collect()), j - i)
            }
            (c, _) if ident_start(c) => {
                let mut j = i;
                while j < chars.len() && ident_char(chars[j]) {
                    j += 1;
                }
                (Tok::Ident(chars[i..j].iter().collect()), j - i)
            }
            (c, _) => return Err(syntax(&c.to_string(), i)),
        };
        out.push(tok);
        i += len;
    }
    Ok(out)
}

/// The request's `ExpressionAttributeNames`/`Values`, and which of them
/// the request's expressions used.
pub struct Subst {
    pub names: BTreeMap<String, String>,
    pub values: BTreeMap<String, AV>,
    used_names: BTreeSet<String>,
    used_values: BTreeSet<String>,
}

impl Subst {
    pub fn new(names: BTreeMap<String, String>, values: BTreeMap<String, AV>) -> Subst {
        Subst {
            names,
            values,
            used_names: BTreeSet::new(),
            used_values: BTreeSet::new(),
        }
    }

    /// AWS refuses names or values no expression of the request used.
    pub fn check_unused(&self) -> Result<(), DdbError> {
        let unused_names: Vec<&String> = self
            .names
            .keys()
            .filter(|k| !self.used_names.contains(*k))
            .collect();
        if !unused_names.is_empty() {
            return Err(DdbError::validation(format!(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
                unused_names
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let unused_values: Vec<&String> = self
            .values
            .keys()
            .filter(|k| !self.used_values.contains(*k))
            .collect();
        if !unused_values.is_empty() {
            return Err(DdbError::validation(format!(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
                unused_values
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        Ok(())
    }
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    kind: Kind,
    subst: &'a mut Subst,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Operand {
    Path(Path),
    Val(AV),
    Size(Path),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    Or(Box<Cond>, Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
    Cmp(Operand, Cmp, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    Exists(Path),
    NotExists(Path),
    Type(Path, Operand),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
    /// A parenthesised condition (kept to refuse `((…))` as AWS does).
    Paren(Box<Cond>),
}

/// One `SET` right-hand side.
#[derive(Clone, Debug, PartialEq)]
pub enum SetVal {
    Operand(Operand),
    IfNotExists(Path, Box<SetVal>),
    ListAppend(Box<SetVal>, Box<SetVal>),
    Plus(Box<SetVal>, Box<SetVal>),
    Minus(Box<SetVal>, Box<SetVal>),
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Update {
    pub set: Vec<(Path, SetVal)>,
    pub remove: Vec<Path>,
    pub add: Vec<(Path, AV)>,
    pub delete: Vec<(Path, AV)>,
}

pub fn unsupported(msg: impl Into<String>) -> DdbError {
    DdbError::new("SimUnsupportedExpression", msg)
}

impl<'a> Parser<'a> {
    fn new(kind: Kind, text: &str, subst: &'a mut Subst) -> Result<Parser<'a>, DdbError> {
        if text.trim().is_empty() {
            return Err(DdbError::validation(format!(
                "Invalid {}: The expression can not be empty;",
                kind.label()
            )));
        }
        if text.len() > MAX_EXPRESSION_BYTES {
            return Err(DdbError::validation(format!(
                "Invalid {}: Expression size has exceeded the maximum allowed size; expression size: {}",
                kind.label(),
                text.len()
            )));
        }
        Ok(Parser {
            toks: lex(kind, text)?,
            pos: 0,
            kind,
            subst,
        })
    }

    fn err(&self, msg: impl AsRef<str>) -> DdbError {
        DdbError::validation(format!("Invalid {}: {}", self.kind.label(), msg.as_ref()))
    }

    fn syntax(&self) -> DdbError {
        match self.toks.get(self.pos) {
            Some(t) => {
                let near: Vec<String> = self.toks[self.pos..].iter().take(3).map(show).collect();
                self.err(format!(
                    "Syntax error; token: \"{}\", near: \"{}\"",
                    show(t),
                    near.join(" ")
                ))
            }
            None => self.err("Syntax error; token: \"<EOF>\", near: \"\""),
        }
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expect(&mut self, t: Tok) -> Result<(), DdbError> {
        if self.peek() == Some(&t) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.syntax())
        }
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(w)) if w.eq_ignore_ascii_case(word))
    }

    fn done(&self) -> Result<(), DdbError> {
        if self.pos < self.toks.len() {
            return Err(self.syntax());
        }
        Ok(())
    }

    fn name(&mut self, tok: Tok) -> Result<String, DdbError> {
        match tok {
            Tok::Ident(w) => {
                if super::reserved::is_reserved(&w) {
                    return Err(self.err(format!(
                        "Attribute name is a reserved keyword; reserved keyword: {w}"
                    )));
                }
                Ok(w)
            }
            Tok::Name(n) => match self.subst.names.get(&n) {
                Some(v) => {
                    let v = v.clone();
                    self.subst.used_names.insert(n);
                    Ok(v)
                }
                None => Err(self.err(format!(
                    "An expression attribute name used in the document path is not defined; attribute name: {n}"
                ))),
            },
            _ => Err(self.syntax()),
        }
    }

    fn value(&mut self, v: &str) -> Result<AV, DdbError> {
        match self.subst.values.get(v) {
            Some(x) => {
                let x = x.clone();
                self.subst.used_values.insert(v.to_string());
                Ok(x)
            }
            None => Err(self.err(format!(
                "An expression attribute value used in expression is not defined; attribute value: {v}"
            ))),
        }
    }

    fn path(&mut self) -> Result<Path, DdbError> {
        let first = self.next().ok_or_else(|| self.syntax())?;
        if !matches!(first, Tok::Ident(_) | Tok::Name(_)) {
            self.pos -= 1;
            return Err(self.syntax());
        }
        let mut p = vec![Step::Name(self.name(first)?)];
        loop {
            match self.peek() {
                Some(Tok::Dot) => {
                    self.pos += 1;
                    let t = self.next().ok_or_else(|| self.syntax())?;
                    p.push(Step::Name(self.name(t)?));
                }
                Some(Tok::LBrack) => {
                    self.pos += 1;
                    let Some(Tok::Int(i)) = self.next() else {
                        self.pos -= 1;
                        return Err(self.syntax());
                    };
                    let i: usize = i.parse().map_err(|_| self.syntax())?;
                    self.expect(Tok::RBrack)?;
                    p.push(Step::Index(i));
                }
                _ => return Ok(p),
            }
        }
    }

    fn is_function(&self) -> bool {
        matches!(self.peek(), Some(Tok::Ident(_))) && self.peek_at(1) == Some(&Tok::LParen)
    }

    /// A comparison operand: a path, a value, or `size(path)`.
    fn operand(&mut self) -> Result<Operand, DdbError> {
        match self.peek().cloned() {
            Some(Tok::Value(v)) => {
                self.pos += 1;
                Ok(Operand::Val(self.value(&v)?))
            }
            Some(Tok::Ident(f)) if self.is_function() => {
                if f != "size" {
                    return Err(self.function_error(&f));
                }
                self.pos += 2;
                let p = self.path()?;
                self.expect(Tok::RParen)?;
                Ok(Operand::Size(p))
            }
            Some(Tok::Ident(_) | Tok::Name(_)) => Ok(Operand::Path(self.path()?)),
            _ => Err(self.syntax()),
        }
    }

    fn function_error(&self, f: &str) -> DdbError {
        const KNOWN: [&str; 8] = [
            "attribute_exists",
            "attribute_not_exists",
            "attribute_type",
            "begins_with",
            "contains",
            "size",
            "if_not_exists",
            "list_append",
        ];
        if KNOWN.contains(&f) {
            // AWS's own refusal of a function where it does not belong.
            self.err(format!(
                "The function is not allowed to be used this way in an expression; function: {f}"
            ))
        } else {
            unsupported(format!(
                "{}: function {f} is not modelled by the simulated DynamoDB (AWS answers \"Invalid function name\")",
                self.kind.label()
            ))
        }
    }

    fn cond(&mut self) -> Result<Cond, DdbError> {
        let mut left = self.conj()?;
        while self.keyword("OR") {
            self.pos += 1;
            let right = self.conj()?;
            left = Cond::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn conj(&mut self) -> Result<Cond, DdbError> {
        let mut left = self.neg()?;
        while self.keyword("AND") {
            self.pos += 1;
            let right = self.neg()?;
            left = Cond::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn neg(&mut self) -> Result<Cond, DdbError> {
        if self.keyword("NOT") {
            self.pos += 1;
            return Ok(Cond::Not(Box::new(self.neg()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Cond, DdbError> {
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            let inner = self.cond()?;
            self.expect(Tok::RParen)?;
            if matches!(inner, Cond::Paren(_)) {
                return Err(self.err("The expression has redundant parentheses;"));
            }
            return Ok(Cond::Paren(Box::new(inner)));
        }
        if let Some(Tok::Ident(f)) = self.peek().cloned() {
            if self.is_function() && f != "size" {
                return self.function();
            }
        }
        let left = self.operand()?;
        let op = match self.peek() {
            Some(Tok::Eq) => Cmp::Eq,
            Some(Tok::Ne) => Cmp::Ne,
            Some(Tok::Lt) => Cmp::Lt,
            Some(Tok::Le) => Cmp::Le,
            Some(Tok::Gt) => Cmp::Gt,
            Some(Tok::Ge) => Cmp::Ge,
            Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("BETWEEN") => {
                self.pos += 1;
                let lo = self.operand()?;
                if !self.keyword("AND") {
                    return Err(self.syntax());
                }
                self.pos += 1;
                let hi = self.operand()?;
                for o in [&left, &lo, &hi] {
                    self.ordered_operand(o, "BETWEEN")?;
                }
                if let (Operand::Val(a), Operand::Val(b)) = (&lo, &hi) {
                    let bounds = format!(
                        "lower bound operand: AttributeValue: {{{}}}, upper bound operand: AttributeValue: {{{}}}",
                        brief(a),
                        brief(b)
                    );
                    match a.compare(b) {
                        None => {
                            return Err(self.err(format!(
                                "The BETWEEN operator requires same data type for lower and upper bounds; {bounds}"
                            )))
                        }
                        Some(Ordering::Greater) => {
                            return Err(self.err(format!(
                                "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; {bounds}"
                            )))
                        }
                        _ => {}
                    }
                }
                return Ok(Cond::Between(left, lo, hi));
            }
            Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("IN") => {
                self.pos += 1;
                self.expect(Tok::LParen)?;
                let mut list = vec![self.operand()?];
                while self.peek() == Some(&Tok::Comma) {
                    self.pos += 1;
                    list.push(self.operand()?);
                }
                self.expect(Tok::RParen)?;
                if list.len() > 100 {
                    return Err(self.err("The IN operator is provided with too many operands; number of operands: 101"));
                }
                return Ok(Cond::In(left, list));
            }
            _ => return Err(self.syntax()),
        };
        let symbol = show(&self.toks[self.pos]);
        self.pos += 1;
        let right = self.operand()?;
        self.distinct(&symbol, &left, &right)?;
        if !matches!(op, Cmp::Eq | Cmp::Ne) {
            let name = match op {
                Cmp::Lt => "<",
                Cmp::Le => "<=",
                Cmp::Gt => ">",
                _ => ">=",
            };
            self.ordered_operand(&left, name)?;
            self.ordered_operand(&right, name)?;
        }
        Ok(Cond::Cmp(left, op, right))
    }

    /// AWS refuses an operator whose two operands are the same path.
    fn distinct(&self, op: &str, a: &Operand, b: &Operand) -> Result<(), DdbError> {
        match (a, b) {
            (Operand::Path(x), Operand::Path(y)) if x == y => Err(self.err(format!(
                "The first operand must be distinct from the remaining operands for this operator or function; operator: {op}, first operand: [{}]",
                x.iter()
                    .map(|s| match s {
                        Step::Name(n) => n.clone(),
                        Step::Index(i) => format!("[{i}]"),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
            _ => Ok(()),
        }
    }

    /// `<`, `BETWEEN`… take strings, numbers and binaries only; AWS
    /// refuses another literal at once.
    fn ordered_operand(&self, o: &Operand, op: &str) -> Result<(), DdbError> {
        if let Operand::Val(v) = o {
            if !matches!(v, AV::S(_) | AV::N(_) | AV::B(_)) {
                return Err(self.err(format!(
                    "Incorrect operand type for operator or function; operator or function: {op}, operand type: {}",
                    v.type_name()
                )));
            }
        }
        Ok(())
    }

    fn function(&mut self) -> Result<Cond, DdbError> {
        let Some(Tok::Ident(f)) = self.next() else {
            return Err(self.syntax());
        };
        self.expect(Tok::LParen)?;
        let c = match f.as_str() {
            "attribute_exists" | "attribute_not_exists" => {
                let p = self.path()?;
                if f == "attribute_exists" {
                    Cond::Exists(p)
                } else {
                    Cond::NotExists(p)
                }
            }
            "attribute_type" => {
                let p = self.path()?;
                self.expect(Tok::Comma)?;
                let t = self.operand()?;
                if let Operand::Val(v) = &t {
                    const TYPES: [&str; 10] =
                        ["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"];
                    match v {
                        AV::S(s) if TYPES.contains(&s.as_str()) => {}
                        AV::S(s) => {
                            return Err(self.err(format!(
                                "Invalid attribute type name found; type: {s}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}"
                            )))
                        }
                        other => {
                            return Err(self.err(format!(
                                "Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {}",
                                other.type_name()
                            )))
                        }
                    }
                }
                Cond::Type(p, t)
            }
            "begins_with" | "contains" => {
                let a = self.operand()?;
                self.expect(Tok::Comma)?;
                let b = self.operand()?;
                self.distinct(&f, &a, &b)?;
                if f == "begins_with" {
                    for o in [&a, &b] {
                        if let Operand::Val(v) = o {
                            if !matches!(v, AV::S(_) | AV::B(_)) {
                                return Err(self.err(format!(
                                    "Incorrect operand type for operator or function; operator or function: begins_with, operand type: {}",
                                    v.type_name()
                                )));
                            }
                        }
                    }
                    Cond::BeginsWith(a, b)
                } else {
                    Cond::Contains(a, b)
                }
            }
            other => return Err(self.function_error(other)),
        };
        self.expect(Tok::RParen)?;
        Ok(c)
    }

    fn set_operand(&mut self) -> Result<SetVal, DdbError> {
        if let Some(Tok::Ident(f)) = self.peek().cloned() {
            if self.is_function() {
                self.pos += 2;
                let v = match f.as_str() {
                    "if_not_exists" => {
                        let p = self.path()?;
                        self.expect(Tok::Comma)?;
                        SetVal::IfNotExists(p, Box::new(self.set_operand()?))
                    }
                    "list_append" => {
                        let a = self.set_operand()?;
                        self.expect(Tok::Comma)?;
                        SetVal::ListAppend(Box::new(a), Box::new(self.set_operand()?))
                    }
                    other => {
                        self.pos -= 2;
                        return Err(self.function_error(other));
                    }
                };
                self.expect(Tok::RParen)?;
                return Ok(v);
            }
        }
        match self.peek().cloned() {
            Some(Tok::Value(v)) => {
                self.pos += 1;
                Ok(SetVal::Operand(Operand::Val(self.value(&v)?)))
            }
            Some(Tok::Ident(_) | Tok::Name(_)) => Ok(SetVal::Operand(Operand::Path(self.path()?))),
            _ => Err(self.syntax()),
        }
    }

    fn set_value(&mut self) -> Result<SetVal, DdbError> {
        let left = self.set_operand()?;
        match self.peek() {
            Some(Tok::Plus) => {
                self.pos += 1;
                Ok(SetVal::Plus(Box::new(left), Box::new(self.set_operand()?)))
            }
            Some(Tok::Minus) => {
                self.pos += 1;
                Ok(SetVal::Minus(Box::new(left), Box::new(self.set_operand()?)))
            }
            _ => Ok(left),
        }
    }

    fn update(&mut self) -> Result<Update, DdbError> {
        let mut u = Update::default();
        let mut seen = BTreeSet::new();
        while let Some(t) = self.next() {
            let Tok::Ident(word) = t else {
                self.pos -= 1;
                return Err(self.syntax());
            };
            let clause = word.to_ascii_uppercase();
            if !["SET", "REMOVE", "ADD", "DELETE"].contains(&clause.as_str()) {
                self.pos -= 1;
                return Err(self.syntax());
            }
            if !seen.insert(clause.clone()) {
                return Err(self.err(format!(
                    "The \"{clause}\" section can only be used once in an update expression;"
                )));
            }
            loop {
                match clause.as_str() {
                    "SET" => {
                        let p = self.path()?;
                        self.expect(Tok::Eq)?;
                        u.set.push((p, self.set_value()?));
                    }
                    "REMOVE" => u.remove.push(self.path()?),
                    _ => {
                        let p = self.path()?;
                        let Some(Tok::Value(v)) = self.next() else {
                            self.pos -= 1;
                            return Err(self.syntax());
                        };
                        let v = self.value(&v)?;
                        let ok = matches!(
                            (clause.as_str(), &v),
                            ("ADD", AV::N(_)) | (_, AV::SS(_) | AV::NS(_) | AV::BS(_))
                        );
                        if !ok {
                            return Err(self.err(format!(
                                "Incorrect operand type for operator or function; operator: {clause}, operand type: {}",
                                long_type(&v)
                            )));
                        }
                        if clause == "ADD" {
                            u.add.push((p, v));
                        } else {
                            u.delete.push((p, v));
                        }
                    }
                }
                if self.peek() == Some(&Tok::Comma) {
                    self.pos += 1;
                } else {
                    break;
                }
            }
        }
        Ok(u)
    }
}

/// The type names AWS's update-expression messages use.
fn long_type(v: &AV) -> &'static str {
    match v {
        AV::S(_) => "STRING",
        AV::N(_) => "NUMBER",
        AV::B(_) => "BINARY",
        AV::Bool(_) => "BOOLEAN",
        AV::Null => "NULL",
        AV::M(_) => "MAP",
        AV::L(_) => "LIST",
        AV::SS(_) => "STRING_SET",
        AV::NS(_) => "NUMBER_SET",
        AV::BS(_) => "BINARY_SET",
    }
}

pub fn parse_condition(kind: Kind, text: &str, subst: &mut Subst) -> Result<Cond, DdbError> {
    let mut p = Parser::new(kind, text, subst)?;
    let c = p.cond()?;
    p.done()?;
    let count = operators(&c);
    if count > MAX_OPERATORS {
        return Err(p.err(format!(
            "The expression contains too many operators; operator count: {count}"
        )));
    }
    Ok(c)
}

pub fn parse_update(text: &str, subst: &mut Subst) -> Result<Update, DdbError> {
    let mut p = Parser::new(Kind::Update, text, subst)?;
    let u = p.update()?;
    p.done()?;
    let mut paths: Vec<&Path> = u.set.iter().map(|(p, _)| p).collect();
    paths.extend(u.remove.iter());
    paths.extend(u.add.iter().map(|(p, _)| p));
    paths.extend(u.delete.iter().map(|(p, _)| p));
    overlap(Kind::Update, &paths)?;
    Ok(u)
}

pub fn parse_projection(text: &str, subst: &mut Subst) -> Result<Vec<Path>, DdbError> {
    let mut p = Parser::new(Kind::Projection, text, subst)?;
    let mut out = vec![p.path()?];
    while p.peek() == Some(&Tok::Comma) {
        p.pos += 1;
        out.push(p.path()?);
    }
    p.done()?;
    overlap(Kind::Projection, &out.iter().collect::<Vec<_>>())?;
    Ok(out)
}

/// AWS refuses two paths of one expression where one is the other or
/// holds it.
fn overlap(kind: Kind, paths: &[&Path]) -> Result<(), DdbError> {
    for (i, a) in paths.iter().enumerate() {
        for b in &paths[i + 1..] {
            let n = a.len().min(b.len());
            if a[..n] == b[..n] {
                let list = |p: &Path| {
                    p.iter()
                        .map(|s| match s {
                            Step::Name(n) => n.clone(),
                            Step::Index(i) => format!("[{i}]"),
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                return Err(DdbError::validation(format!(
                    "Invalid {}: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [{}], path two: [{}]",
                    kind.label(),
                    list(a),
                    list(b)
                )));
            }
        }
    }
    Ok(())
}

fn operand_value(o: &Operand, item: &Item) -> Result<Option<AV>, DdbError> {
    Ok(match o {
        Operand::Path(p) => get(item, p).cloned(),
        Operand::Val(v) => Some(v.clone()),
        Operand::Size(p) => match get(item, p) {
            None => None,
            Some(AV::S(s)) if s.is_ascii() => {
                Some(AV::N(super::value::Num::from_i64(s.len() as i64)))
            }
            Some(AV::S(_)) => {
                return Err(unsupported(
                    "size() of a non-ASCII string (characters or bytes) is not modelled",
                ))
            }
            Some(AV::B(b)) => Some(AV::N(super::value::Num::from_i64(b.len() as i64))),
            Some(AV::SS(v)) => Some(AV::N(super::value::Num::from_i64(v.len() as i64))),
            Some(AV::NS(v)) => Some(AV::N(super::value::Num::from_i64(v.len() as i64))),
            Some(AV::BS(v)) => Some(AV::N(super::value::Num::from_i64(v.len() as i64))),
            Some(AV::L(v)) => Some(AV::N(super::value::Num::from_i64(v.len() as i64))),
            Some(AV::M(v)) => Some(AV::N(super::value::Num::from_i64(v.len() as i64))),
            Some(_) => None,
        },
    })
}

/// A condition on an item (an absent item is an empty one). A comparison
/// with a missing attribute is false, except `<>`, which is true (AWS).
pub fn eval(c: &Cond, item: &Item) -> Result<bool, DdbError> {
    match c {
        // Long `OR`/`AND` chains are left-deep trees: walked along their
        // spine, not by recursion (300 operators must not blow the stack).
        Cond::Or(..) | Cond::And(..) => {
            let is_or = matches!(c, Cond::Or(..));
            let mut rights = Vec::new();
            let mut cur = c;
            while let (Cond::Or(a, b), true) | (Cond::And(a, b), false) = (cur, is_or) {
                rights.push(b.as_ref());
                cur = a;
            }
            rights.push(cur);
            for part in rights.into_iter().rev() {
                if eval(part, item)? == is_or {
                    return Ok(is_or);
                }
            }
            Ok(!is_or)
        }
        Cond::Not(a) => Ok(!eval(a, item)?),
        Cond::Paren(a) => eval(a, item),
        leaf => leaf_holds(leaf, item),
    }
}

/// One comparison or function on an item.
#[inline(never)]
fn leaf_holds(c: &Cond, item: &Item) -> Result<bool, DdbError> {
    Ok(match c {
        Cond::Or(..) | Cond::And(..) | Cond::Not(_) | Cond::Paren(_) => eval(c, item)?,
        Cond::Cmp(a, op, b) => {
            let (a, b) = (operand_value(a, item)?, operand_value(b, item)?);
            match (a, b, op) {
                (Some(a), Some(b), Cmp::Eq) => a == b,
                (Some(a), Some(b), Cmp::Ne) => a != b,
                (_, _, Cmp::Ne) => true,
                (Some(a), Some(b), op) => match a.compare(&b) {
                    None => false,
                    Some(o) => match op {
                        Cmp::Lt => o == Ordering::Less,
                        Cmp::Le => o != Ordering::Greater,
                        Cmp::Gt => o == Ordering::Greater,
                        _ => o != Ordering::Less,
                    },
                },
                _ => false,
            }
        }
        Cond::Between(x, lo, hi) => {
            match (
                operand_value(x, item)?,
                operand_value(lo, item)?,
                operand_value(hi, item)?,
            ) {
                (Some(x), Some(lo), Some(hi)) => {
                    matches!(x.compare(&lo), Some(Ordering::Greater | Ordering::Equal))
                        && matches!(x.compare(&hi), Some(Ordering::Less | Ordering::Equal))
                }
                _ => false,
            }
        }
        Cond::In(x, list) => match operand_value(x, item)? {
            None => false,
            Some(x) => {
                let mut any = false;
                for o in list {
                    if operand_value(o, item)?.as_ref() == Some(&x) {
                        any = true;
                    }
                }
                any
            }
        },
        Cond::Exists(p) => get(item, p).is_some(),
        Cond::NotExists(p) => get(item, p).is_none(),
        Cond::Type(p, t) => match (get(item, p), operand_value(t, item)?) {
            (Some(v), Some(AV::S(t))) => v.type_name() == t,
            _ => false,
        },
        Cond::BeginsWith(a, b) => match (operand_value(a, item)?, operand_value(b, item)?) {
            (Some(AV::S(a)), Some(AV::S(b))) => a.starts_with(&b),
            (Some(AV::B(a)), Some(AV::B(b))) => a.starts_with(&b),
            _ => false,
        },
        Cond::Contains(a, b) => match (operand_value(a, item)?, operand_value(b, item)?) {
            (Some(AV::S(a)), Some(AV::S(b))) => a.contains(&b),
            (Some(AV::SS(a)), Some(AV::S(b))) => a.contains(&b),
            (Some(AV::NS(a)), Some(AV::N(b))) => a.contains(&b),
            (Some(AV::BS(a)), Some(AV::B(b))) => a.contains(&b),
            (Some(AV::L(a)), Some(b)) => a.contains(&b),
            _ => false,
        },
    })
}
