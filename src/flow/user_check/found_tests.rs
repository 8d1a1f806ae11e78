use super::*;
use crate::domain::nodes::found::tests::{assoc, counts, node, GONE, NO_USER};
use crate::domain::nodes::{Association, NodeResult};

/// A store whose node reads and document version are the test's, counted.
struct Counted {
    reads: std::sync::atomic::AtomicUsize,
    documents: std::sync::atomic::AtomicUsize,
    read: std::sync::Mutex<Vec<NodeResult>>,
    default: std::sync::Mutex<String>,
}

impl Counted {
    fn new(read: Vec<NodeResult>) -> Counted {
        Counted {
            reads: Default::default(),
            documents: Default::default(),
            read: std::sync::Mutex::new(read),
            default: std::sync::Mutex::new("1".into()),
        }
    }
    fn reads(&self) -> usize {
        self.reads.load(std::sync::atomic::Ordering::SeqCst)
    }
    /// The check document's version reads.
    fn documents(&self) -> usize {
        self.documents.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Associations for Counted {
    fn account(&self) -> &str {
        "111122223333"
    }
    fn region(&self) -> &str {
        "eu-west-1"
    }
    async fn find(&self) -> Result<Vec<Association>, AwsError> {
        unreachable!("a look never lists")
    }
    async fn describe(&self, _: &str) -> Result<Option<Association>, AwsError> {
        unreachable!("a look never describes")
    }
    async fn create(&self, _: &str, _: bool) -> Result<Association, AwsError> {
        unreachable!("a look never writes")
    }
    async fn tag(&self, _: &str) -> Result<(), AwsError> {
        unreachable!("a look never writes")
    }
    async fn update(&self, _: &str, _: &str, _: &str) -> Result<Option<Association>, AwsError> {
        unreachable!("a look never writes")
    }
    async fn delete(&self, _: &str) -> Result<bool, AwsError> {
        unreachable!("a look never writes")
    }
    async fn document_versions(
        &self,
    ) -> Result<Option<crate::domain::nodes::DocumentVersions>, AwsError> {
        self.documents
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let default = self.default.lock().unwrap().clone();
        Ok(Some(crate::domain::nodes::DocumentVersions {
            latest: default.clone(),
            default,
        }))
    }
    async fn any_linux_or_macos_node(&self) -> Result<bool, AwsError> {
        Ok(true)
    }
    async fn failed_nodes(&self, _: &str, _: usize) -> Result<Vec<NodeResult>, AwsError> {
        self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(self.read.lock().unwrap().clone())
    }
}

#[tokio::test]
async fn a_changed_check_document_is_read_with_the_run_after_it_until_a_run_of_it_is_read() {
    // The old check could not run on i-1 (no user name reached it).
    let store = Counted::new(vec![node("i-1", "Failed", NO_USER)]);
    let ran = |at: i64| Association {
        last_run: Some(at),
        ..assoc("a", "1", counts(2, 1, 0))
    };
    let first = readiness(&store, &ran(1000), "ops", None).await.unwrap();
    assert_eq!(
        (first.missing, first.not_run.nodes, store.reads()),
        (0, 1, 1)
    );
    assert_eq!(first.document_version.as_deref(), Some("1"));
    // State Manager runs the same check again: the same failures, no read
    // of a node; the run the document's version was read at moves (written
    // once a run), so the looks until the next run read no document.
    let steady = readiness(&store, &ran(2000), "ops", Some(&first))
        .await
        .unwrap();
    assert_eq!((steady.not_run.nodes, store.reads()), (1, 1));
    assert_eq!((first.read_run, steady.read_run), (Some(1000), Some(2000)));
    let same_run = readiness(&store, &ran(2000), "ops", Some(&steady))
        .await
        .unwrap();
    assert_eq!(same_run.to_json(), steady.to_json(), "nothing to write");
    assert_eq!(store.documents(), 2, "once a run");

    // The member stack updates the check document (version 2). The run
    // already read is of the old one, and its failures stand: no read of
    // the document or the nodes until the association runs again.
    *store.default.lock().unwrap() = "2".into();
    let waiting = readiness(&store, &ran(2000), "ops", Some(&steady))
        .await
        .unwrap();
    assert_eq!(
        (waiting.not_run.nodes, waiting.reread_after, store.reads()),
        (1, None, 1)
    );
    assert_eq!(
        waiting.document_version.as_deref(),
        Some("1"),
        "the run's own"
    );
    // Its run: i-1 fails as before, now on the script's line. Read: missing.
    // Whether that run began before the change cannot be told: the next run
    // is read again too.
    *store.read.lock().unwrap() = vec![node("i-1", "Failed", GONE)];
    let after = readiness(&store, &ran(3000), "ops", Some(&waiting))
        .await
        .unwrap();
    assert_eq!(store.reads(), 2);
    assert_eq!(
        (
            after.missing,
            after.missing_nodes.clone(),
            after.not_run.nodes,
            after.reread_after,
            after.document_version.as_deref()
        ),
        (1, vec!["i-1".to_string()], 0, Some(3000), Some("2"))
    );
    let next = readiness(&store, &ran(3500), "ops", Some(&after))
        .await
        .unwrap();
    assert_eq!(
        (next.missing, next.reread_after, store.reads()),
        (1, None, 3)
    );
    let after = next;
    // And steady again.
    let again = readiness(&store, &ran(4000), "ops", Some(&after))
        .await
        .unwrap();
    assert_eq!((again.missing, store.reads()), (1, 3));
    let steady_again = readiness(&store, &ran(4000), "ops", Some(&again))
        .await
        .unwrap();
    assert_eq!(
        (steady_again.missing, store.reads()),
        (1, 3),
        "the same run"
    );
}
