//! The `basalt` binary's start-up refusals: each exits non-zero with a message saying why,
//! before serving anything.

use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `basalt` with `args`; a server that is still running after 20 s (it started instead
/// of refusing to) is killed, and its output returned as it stands.
fn basalt(args: &[&str]) -> Output {
    let data = tempfile::tempdir().expect("a temporary directory");
    let data_dir = data.path().join("data");
    let data_dir = data_dir.to_str().expect("a UTF-8 path");
    let mut child = Command::new(env!("CARGO_BIN_EXE_basalt"))
        .args(["--data-dir", data_dir, "--log-level", "warn"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the basalt binary runs");
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("waiting for basalt").is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    child.wait_with_output().expect("basalt's output")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_port_in_use_is_refused() {
    // Another server's listener on the port: a second server must not share it (SO_REUSEPORT
    // would split the connections between the two).
    let taken = reusable_listener();
    let port = taken.local_addr().expect("an address").port().to_string();
    let output = basalt(&["--port", &port]);
    assert!(!output.status.success(), "{output:?}");
    let message = stderr(&output);
    assert!(message.contains(&format!("cannot listen on 127.0.0.1:{port}")), "{message}");
}

#[test]
fn any_key_is_accepted_only_on_loopback() {
    let output = basalt(&["--bind", "0.0.0.0", "--port", "0"]);
    assert!(!output.status.success(), "{output:?}");
    let message = stderr(&output);
    assert!(message.contains("safe only on a loopback address"), "{message}");
}

/// A listener on a free loopback port with SO_REUSEPORT set, as another `basalt`'s.
fn reusable_listener() -> TcpListener {
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("a socket");
    socket.set_reuse_port(true).expect("SO_REUSEPORT");
    let address: SocketAddr = "127.0.0.1:0".parse().expect("an address");
    socket.bind(&address.into()).expect("a free port");
    socket.listen(8).expect("listening");
    socket.into()
}

/// Sends one signed `POST /` of `target` over a fresh connection; the status and body.
fn post(port: u16, target: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let signer = basalt_server::sigv4::Signer::new("AKIDCLI", "cli-secret", "us-east-1");
    let mut headers = vec![
        ("host".to_string(), format!("127.0.0.1:{port}").into_bytes()),
        ("content-type".to_string(), b"application/x-amz-json-1.0".to_vec()),
        ("x-amz-target".to_string(), format!("DynamoDB_20120810.{target}").into_bytes()),
    ];
    let now = std::time::SystemTime::now();
    signer.sign("POST", "/", None, &mut headers, body.as_bytes(), now);
    let mut request = String::from("POST / HTTP/1.1\r\nconnection: close\r\n");
    for (name, value) in &headers {
        request += &format!("{name}: {}\r\n", String::from_utf8_lossy(value));
    }
    request += &format!("content-length: {}\r\n\r\n{body}", body.len());
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connected");
    stream.write_all(request.as_bytes()).expect("request sent");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response read");
    let status = response.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    (status, body.to_owned())
}

#[test]
fn sigterm_closes_the_database_and_exits_0() {
    let data = tempfile::tempdir().expect("a temporary directory");
    let data_dir = data.path().join("data");
    let port =
        TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
    let child = Command::new(env!("CARGO_BIN_EXE_basalt"))
        .args(["--port", &port.to_string(), "--log-level", "warn", "--data-dir"])
        .arg(&data_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the basalt binary runs");
    let mut guard = KillOnDrop(Some(child));
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not start listening");
        std::thread::sleep(Duration::from_millis(20));
    }
    let table = r#"{"TableName":"things","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],
        "AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],
        "BillingMode":"PAY_PER_REQUEST"}"#;
    let created = post(port, "CreateTable", table);
    assert_eq!(created.0, 200, "{}", created.1);
    let item = r#"{"TableName":"things","Item":{"id":{"S":"k"},"v":{"N":"7"}}}"#;
    assert_eq!(post(port, "PutItem", item), (200, "{}".to_owned()));

    let child = guard.0.as_mut().expect("running");
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    assert!(killed.expect("kill runs").success());
    let deadline = Instant::now() + Duration::from_secs(40);
    while child.try_wait().expect("waiting for basalt").is_none() {
        if Instant::now() > deadline {
            panic!("the server did not stop within 40 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = guard.0.take().expect("exited").wait_with_output().expect("basalt's output");
    assert!(output.status.success(), "{:?}: {}", output.status, stderr(&output));
    assert_eq!(stderr(&output), "", "nothing logged at warn or above");

    // Closed, not abandoned: the acknowledged item is there when the directory is reopened.
    let db = basalt::Db::open(&data_dir).expect("the data directory reopens");
    let key = basalt::api::GetItemInput {
        table_name: Some("things".into()),
        key: Some(basalt::model::Item::from([(
            "id".to_owned(),
            basalt::model::AttributeValue::S("k".into()),
        )])),
        ..Default::default()
    };
    let found = db.get_item(key).expect("GetItem").item.expect("the item");
    assert_eq!(found.get("v"), Some(&basalt::model::AttributeValue::N("7".parse().expect("7"))));
}

/// A server process, killed if the test fails before it exits.
struct KillOnDrop(Option<std::process::Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
