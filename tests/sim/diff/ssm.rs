//! The differential check's SSM scenarios: documents and sessions.

use super::*;

async fn versions(ssm: &aws_sdk_ssm::Client, side: &Side, tape: &mut Tape, step: &str, page: i32) {
    // Every page, in the order answered; the order of versions within
    // them is not a promise of the API (sorted here).
    let mut token: Option<String> = None;
    let mut pages = vec![];
    let mut all = vec![];
    loop {
        let r = ssm
            .list_document_versions()
            .name(DOC)
            .max_results(page)
            .set_next_token(token.clone())
            .send()
            .await;
        match r {
            Ok(o) => {
                pages.push(o.document_versions().len());
                for v in o.document_versions() {
                    all.push(json!({
                        "DocumentVersion": v.document_version(),
                        "IsDefaultVersion": v.is_default_version(),
                        "CreatedDate": v.created_date().is_some(),
                    }));
                }
                token = o.next_token().map(str::to_string);
                if token.is_none() {
                    break;
                }
            }
            Err(e) => {
                rec(
                    tape,
                    side,
                    step,
                    answer::<(), _, _>(Err(e), |_| Value::Null),
                );
                return;
            }
        }
    }
    all.sort_by_key(|v| {
        v["DocumentVersion"]
            .as_str()
            .unwrap_or("")
            .parse::<u32>()
            .unwrap_or(0)
    });
    rec(
        tape,
        side,
        step,
        json!({"ok": {"pages": pages, "versions": all}}),
    );
}

async fn get(
    ssm: &aws_sdk_ssm::Client,
    side: &Side,
    tape: &mut Tape,
    step: &str,
    version: Option<&str>,
) {
    let r = ssm
        .get_document()
        .name(DOC)
        .set_document_version(version.map(str::to_string))
        .send()
        .await;
    rec(
        tape,
        side,
        step,
        answer(r, |o| {
            json!({
                "Name": o.name(),
                "DocumentVersion": o.document_version(),
                "Content": o.content(),
                "DocumentType": o.document_type().map(|t| t.as_str().to_string()),
                "CreatedDate": o.created_date().is_some(),
            })
        }),
    );
}

async fn tags(ssm: &aws_sdk_ssm::Client, side: &Side, tape: &mut Tape, step: &str) {
    let r = ssm
        .list_tags_for_resource()
        .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Document)
        .resource_id(DOC)
        .send()
        .await;
    rec(
        tape,
        side,
        step,
        answer(r, |o| {
            let mut t: Vec<(String, String)> = o
                .tag_list()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            t.sort();
            json!(t)
        }),
    );
}

/// SSM documents: create, update (no version, `$LATEST`, the latest's
/// number, a number not the latest), duplicate content, the default
/// switched, versions listed in pages, fetched by version, tags, a version
/// deleted, the document deleted and made again.
pub(super) async fn documents(side: &mut Side, tape: &mut Tape) {
    use aws_sdk_ssm::types::{DocumentFormat, DocumentType, ResourceTypeForTagging, Tag};
    let ssm = aws_sdk_ssm::Client::new(&side.cfg);
    let (a, b, c, d) = (
        content("ssm-user", ""),
        content("produser", ""),
        content("produser", "logs-1"),
        content("root", ""),
    );
    let create = |body: &str| {
        ssm.create_document()
            .name(DOC)
            .content(body)
            .document_type(DocumentType::Session)
            .document_format(DocumentFormat::Json)
            .send()
    };
    let update = |body: &str, version: Option<&str>| {
        ssm.update_document()
            .name(DOC)
            .content(body)
            .set_document_version(version.map(str::to_string))
            .send()
    };
    let s = &*side;
    get(&ssm, s, tape, "documents/get missing", None).await;
    let r = update(&a, Some("$LATEST")).await;
    rec(
        tape,
        s,
        "documents/update missing",
        answer(r, |o| doc_fields(o.document_description().unwrap())),
    );
    let r = create(&a).await;
    rec(
        tape,
        s,
        "documents/create",
        answer(r, |o| doc_fields(o.document_description().unwrap())),
    );
    let r = create(&b).await;
    rec(
        tape,
        s,
        "documents/create again",
        answer(r, |o| doc_fields(o.document_description().unwrap())),
    );
    // Every update names its version, as the product's do: what AWS does
    // with none is not documented (the API reference: "You can specify
    // the version number of the latest version or use the $LATEST
    // variable"), moto refuses it (InvalidDocumentVersion), the simulator
    // takes it as $LATEST; not compared.
    let r = update(&b, Some("$LATEST")).await;
    rec(
        tape,
        s,
        "documents/update $LATEST",
        answer(r, |o| doc_fields(o.document_description().unwrap())),
    );
    let r = update(&c, Some("2")).await;
    rec(
        tape,
        s,
        "documents/update naming the latest",
        answer(r, |o| doc_fields(o.document_description().unwrap())),
    );
    let r = update(&d, Some("$LATEST")).await;
    rec(
        tape,
        s,
        "documents/update $LATEST again",
        answer(r, |o| doc_fields(o.document_description().unwrap())),
    );
    let r = update(&content("other", ""), Some("2")).await; // 4 is the latest
    rec(
        tape,
        s,
        "documents/update naming a version not the latest",
        answer(r, |o| doc_fields(o.document_description().unwrap())),
    );
    let r = update(&b, Some("$LATEST")).await;
    rec(
        tape,
        s,
        "documents/update duplicating an older version",
        answer(r, |o| doc_fields(o.document_description().unwrap())),
    );
    let r = update(&d, Some("$LATEST")).await;
    rec(
        tape,
        s,
        "documents/update duplicating the latest",
        answer(r, |o| doc_fields(o.document_description().unwrap())),
    );
    for (step, v) in [
        ("documents/default to 3", "3"),
        ("documents/default to a missing version", "9"),
    ] {
        let r = ssm
            .update_document_default_version()
            .name(DOC)
            .document_version(v)
            .send()
            .await;
        rec(
            tape,
            s,
            step,
            answer(r, |o| {
                let d = o.description();
                json!({"Name": d.and_then(|d| d.name()), "DefaultVersion": d.and_then(|d| d.default_version())})
            }),
        );
    }
    for (step, v) in [
        ("documents/describe", None),
        ("documents/describe $LATEST", Some("$LATEST")),
        ("documents/describe 2", Some("2")),
        ("documents/describe a missing version", Some("9")),
    ] {
        let r = ssm
            .describe_document()
            .name(DOC)
            .set_document_version(v.map(str::to_string))
            .send()
            .await;
        rec(
            tape,
            s,
            step,
            answer(r, |o| doc_fields(o.document().unwrap())),
        );
    }
    for (step, v) in [
        ("documents/get (the default)", None),
        ("documents/get $DEFAULT", Some("$DEFAULT")),
        ("documents/get $LATEST", Some("$LATEST")),
        ("documents/get 2", Some("2")),
        ("documents/get a missing version", Some("9")),
    ] {
        get(&ssm, s, tape, step, v).await;
    }
    versions(&ssm, s, tape, "documents/versions in pages of 3", 3).await;
    versions(&ssm, s, tape, "documents/versions in one page", 50).await;
    let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build().unwrap();
    for (step, t) in [
        ("documents/tag", vec![tag("runas-guard:canary", "1")]),
        (
            "documents/tag again (a key replaced, one added)",
            vec![tag("runas-guard:canary", "2"), tag("owner", "platform")],
        ),
    ] {
        let r = ssm
            .add_tags_to_resource()
            .resource_type(ResourceTypeForTagging::Document)
            .resource_id(DOC)
            .set_tags(Some(t))
            .send()
            .await;
        rec(tape, s, step, answer(r, |_| json!({})));
    }
    tags(&ssm, s, tape, "documents/tags").await;
    // Deleting the latest version (not the default) is not compared: the
    // API reference does not say; moto deletes it and numbers the next
    // update after what is left, the simulator refuses it
    // (InvalidDocumentOperation), never kinder than AWS may be.
    for (step, v) in [
        ("documents/delete the default version", Some("3")),
        ("documents/delete version 2", Some("2")),
        ("documents/delete a missing version", Some("9")),
    ] {
        let r = ssm
            .delete_document()
            .name(DOC)
            .set_document_version(v.map(str::to_string))
            .send()
            .await;
        rec(tape, s, step, answer(r, |_| json!({})));
    }
    versions(&ssm, s, tape, "documents/versions after deleting 2", 50).await;
    let r = update(&content("after", ""), Some("$LATEST")).await;
    rec(
        tape,
        s,
        "documents/update after deleting 2",
        answer(r, |o| doc_fields(o.document_description().unwrap())),
    );
    let r = ssm.delete_document().name(DOC).send().await;
    rec(
        tape,
        s,
        "documents/delete the document",
        answer(r, |_| json!({})),
    );
    get(&ssm, s, tape, "documents/get deleted", None).await;
    versions(
        &ssm,
        s,
        tape,
        "documents/versions of a deleted document",
        50,
    )
    .await;
    let r = create(&c).await;
    rec(
        tape,
        s,
        "documents/create again after delete",
        answer(r, |o| doc_fields(o.document_description().unwrap())),
    );
    let r = update(&a, Some("$LATEST")).await;
    rec(
        tape,
        s,
        "documents/update the new one (content of the old)",
        answer(r, |o| doc_fields(o.document_description().unwrap())),
    );
    tags(&ssm, s, tape, "documents/tags of the new one").await;
    // End state: every version's content, the default and the latest.
    versions(&ssm, s, tape, "documents/end: versions", 50).await;
    for v in ["1", "2"] {
        get(
            &ssm,
            s,
            tape,
            &format!("documents/end: version {v}"),
            Some(v),
        )
        .await;
    }
}

/// Session Manager's sessions: opened by people (per side), listed by
/// `DescribeSessions` by state, in pages, and filtered by time.
pub(super) async fn sessions(side: &mut Side, tape: &mut Tape) {
    use aws_sdk_ssm::types::{SessionFilter, SessionFilterKey, SessionState};
    let ssm = aws_sdk_ssm::Client::new(&side.cfg);
    let mut ids = vec![];
    let open = |target: &'static str| {
        let ssm = ssm.clone();
        let sim = side.sim.clone();
        async move {
            match sim {
                // A person's session: the simulator is told, as the world
                // tells it (Session Manager's StartSession is not the
                // product's, and not modelled).
                Some(sim) => {
                    let mut s = sim.lock().unwrap();
                    let key = (HUB.to_string(), REGION.to_string());
                    let list = s.ssm.sessions.entry(key).or_default();
                    let id = format!("root-sim{:04}", list.len());
                    list.push(aws::ssm::Session {
                        id: id.clone(),
                        owner: Who::root(HUB).arn,
                        target: target.into(),
                        start_ms: aws::now_ms(),
                        end_ms: None,
                    });
                    id
                }
                None => ssm
                    .start_session()
                    .target(target)
                    .send()
                    .await
                    .expect("StartSession (emulated)")
                    .session_id()
                    .unwrap()
                    .to_string(),
            }
        }
    };
    ids.push(open("i-0000000000000000a").await);
    side.pause(1500).await;
    let between = side.now_iso(0);
    side.pause(1500).await;
    ids.push(open("i-0000000000000000b").await);
    ids.push(open("i-0000000000000000c").await);
    side.pause(100).await;
    // The first ends.
    match &side.sim {
        Some(sim) => {
            let mut s = sim.lock().unwrap();
            let now = aws::now_ms();
            for x in s.ssm.sessions.values_mut().flatten() {
                if x.id == ids[0] {
                    x.end_ms = Some(now);
                }
            }
        }
        None => {
            ssm.terminate_session()
                .session_id(&ids[0])
                .send()
                .await
                .expect("TerminateSession (emulated)");
        }
    }
    side.pause(100).await;
    for (i, id) in ids.iter().enumerate() {
        side.name(id, &format!("session-{i}"));
    }
    let s = &*side;
    let filter =
        |k: SessionFilterKey, v: &str| SessionFilter::builder().key(k).value(v).build().unwrap();
    let cases: Vec<(&str, SessionState, Vec<SessionFilter>, i32)> = vec![
        ("sessions/active", SessionState::Active, vec![], 20),
        ("sessions/history", SessionState::History, vec![], 20),
        (
            "sessions/active in pages of 1",
            SessionState::Active,
            vec![],
            1,
        ),
        (
            "sessions/active invoked after the gap",
            SessionState::Active,
            vec![filter(SessionFilterKey::InvokedAfter, &between)],
            20,
        ),
        (
            "sessions/history invoked before the gap",
            SessionState::History,
            vec![filter(SessionFilterKey::InvokedBefore, &between)],
            20,
        ),
        (
            "sessions/history invoked after the gap",
            SessionState::History,
            vec![filter(SessionFilterKey::InvokedAfter, &between)],
            20,
        ),
        (
            "sessions/active invoked after an hour ago, before in an hour",
            SessionState::Active,
            vec![
                filter(SessionFilterKey::InvokedAfter, &s.now_iso(-3600)),
                filter(SessionFilterKey::InvokedBefore, &s.now_iso(3600)),
            ],
            20,
        ),
        (
            "sessions/active invoked before an hour ago",
            SessionState::Active,
            vec![filter(SessionFilterKey::InvokedBefore, &s.now_iso(-3600))],
            20,
        ),
    ];
    for (step, state, filters, page) in cases {
        let mut token: Option<String> = None;
        let mut pages = vec![];
        let mut all = vec![];
        let mut error = None;
        loop {
            let r = ssm
                .describe_sessions()
                .state(state.clone())
                .set_filters((!filters.is_empty()).then(|| filters.clone()))
                .max_results(page)
                .set_next_token(token.clone())
                .send()
                .await;
            match r {
                Err(e) => {
                    error = Some(answer::<(), _, _>(Err(e), |_| Value::Null));
                    break;
                }
                Ok(o) => {
                    pages.push(o.sessions().len());
                    for x in o.sessions() {
                        all.push(json!({
                            "SessionId": x.session_id(),
                            "Target": x.target(),
                            "Owner": x.owner(),
                            "Status": x.status().map(|t| t.as_str().to_string()),
                            "StartDate": x.start_date().is_some(),
                            "EndDate": x.end_date().is_some(),
                        }));
                    }
                    token = o.next_token().map(str::to_string);
                    if token.is_none() {
                        break;
                    }
                }
            }
        }
        all.sort_by(|a, b| a["Target"].as_str().cmp(&b["Target"].as_str()));
        let v = error.unwrap_or_else(|| json!({"ok": {"pages": pages, "sessions": all}}));
        rec(tape, s, step, v);
    }
}
