//! Integration tests for the published record (`build --artifacts-toml`), `repro verify`,
//! attestations (`key generate`, `--attest`, `attest verify`) and their interoperability with an
//! independent DSSE implementation (securesystemslib, `tests/interop/dsse_interop.py`).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::build::{pinned_image_or_skip, run_id};
use crate::support::{json_report, repo_root, repro};

/// True when `python3` can import securesystemslib and cryptography. With `CI` set their absence
/// fails the test (`.ci/run` installs them); otherwise the test is skipped loudly.
fn python_or_skip(test: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import securesystemslib.dsse, cryptography"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{test}: python3 with securesystemslib[crypto] is missing and CI is set");
    }
    eprintln!(
        "\n!!!!! SKIPPED {test}: python3 cannot import securesystemslib (pip install \
         'securesystemslib[crypto]'; set CI=1 to make this fail) !!!!!\n"
    );
    false
}

fn interop(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new("python3")
        .arg(repo_root().join("tests/interop/dsse_interop.py"))
        .args(args)
        .output()
        .expect("run python3")
}

fn ok_or_panic(what: &str, out: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed ({:?})\nstdout:\n{stdout}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// `repro key generate` into `dir/name.pem` and `dir/name.pem.pub`.
fn generate_key(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let k = dir.join(format!("{name}.pem"));
    let out = repro().args(["key", "generate"]).arg(&k).output().unwrap();
    let stdout = ok_or_panic("repro key generate", &out);
    assert!(stdout.contains("key id"), "{stdout}");
    let p = dir.join(format!("{name}.pem.pub"));
    (k, p)
}

/// A statement of a rebuild of `X.tar.gz` whose tree hash is `tree`.
fn statement(tree: &str) -> Value {
    serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{ "name": "X.v1.0.0.x86_64-linux-gnu.tar.gz",
                      "digest": { "sha256": "ab".repeat(32), "gitTreeSha1": tree } }],
        "predicateType": "https://example.invalid/repro/rebuild/v1",
        "predicate": { "command": "verify", "result": { "verdict": "verified" } }
    })
}

/// An envelope signed by `key` (through the library, as `--attest` does).
fn sign_with(key: &Path, st: &Value, out: &Path) {
    let pair = repro_attest::load_private_key(key).unwrap();
    let env = repro_attest::Envelope::sign(
        repro_attest::PAYLOAD_TYPE_IN_TOTO,
        &serde_json::to_vec(st).unwrap(),
        &[&pair],
    );
    std::fs::write(out, env.to_json()).unwrap();
}

#[test]
fn key_generate_writes_a_private_pkcs8_key_and_refuses_to_overwrite() {
    use std::os::unix::fs::PermissionsExt as _;
    let d = tempfile::tempdir().unwrap();
    let (k, p) = generate_key(d.path(), "k");
    assert_eq!(std::fs::metadata(&k).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(std::fs::read_to_string(&k).unwrap().starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(std::fs::read_to_string(&p).unwrap().starts_with("-----BEGIN PUBLIC KEY-----"));
    let before = std::fs::read(&k).unwrap();
    let out = repro().args(["key", "generate"]).arg(&k).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("refusing to overwrite"));
    assert_eq!(std::fs::read(&k).unwrap(), before);
}

#[test]
fn attestations_interoperate_with_securesystemslib() {
    if !python_or_skip("attestations_interoperate_with_securesystemslib") {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let (k, p) = generate_key(d.path(), "repro");

    // repro signs, securesystemslib verifies (and computes the same key id from the PEM).
    let ours = d.path().join("ours.json");
    sign_with(&k, &statement(&"11".repeat(20)), &ours);
    let stdout = ok_or_panic(
        "securesystemslib verify",
        &interop(&["verify".as_ref(), ours.as_os_str(), p.as_os_str()]),
    );
    let v: Value = serde_json::from_str(stdout.trim()).unwrap();
    let env: Value = serde_json::from_slice(&std::fs::read(&ours).unwrap()).unwrap();
    assert_eq!(v["keyid"], env["signatures"][0]["keyid"], "key ids differ: {stdout}");
    assert_eq!(v["subject"][0]["digest"]["gitTreeSha1"], "11".repeat(20));

    // A changed payload is refused by securesystemslib too.
    let mut bad = env.clone();
    let payload = serde_json::to_vec(&statement(&"22".repeat(20))).unwrap();
    use base64::Engine as _;
    bad["payload"] = base64::engine::general_purpose::STANDARD.encode(payload).into();
    let bad_path = d.path().join("bad.json");
    std::fs::write(&bad_path, serde_json::to_vec(&bad).unwrap()).unwrap();
    let out = interop(&["verify".as_ref(), bad_path.as_os_str(), p.as_os_str()]);
    assert!(!out.status.success(), "securesystemslib accepted a tampered envelope");

    // securesystemslib signs, repro verifies.
    let st = d.path().join("st.json");
    std::fs::write(&st, serde_json::to_vec(&statement(&"11".repeat(20))).unwrap()).unwrap();
    let (theirs, their_pub) = (d.path().join("theirs.json"), d.path().join("theirs.pub"));
    ok_or_panic(
        "securesystemslib sign",
        &interop(&["sign".as_ref(), st.as_os_str(), theirs.as_os_str(), their_pub.as_os_str()]),
    );
    let out = repro()
        .args(["attest", "verify"])
        .arg(&theirs)
        .arg(&ours)
        .arg("--key")
        .arg(&their_pub)
        .arg("--key")
        .arg(&p)
        .output()
        .unwrap();
    let stdout = ok_or_panic("repro attest verify", &out);
    assert!(stdout.contains("theirs.json: signature ok"), "{stdout}");
    assert!(stdout.contains("by 2 key(s)"), "{stdout}");
    assert!(stdout.contains("all attestations agree"), "{stdout}");
    // Without the signer's key the envelope is refused, naming the file.
    let out =
        repro().args(["attest", "verify"]).arg(&theirs).arg("--key").arg(&p).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("theirs.json") && stderr.contains("no valid signature"), "{stderr}");
}

#[test]
fn attest_verify_names_disagreeing_attestations() {
    let d = tempfile::tempdir().unwrap();
    let (ka, pa) = generate_key(d.path(), "alice");
    let (kb, pb) = generate_key(d.path(), "bob");
    let (a, b) = (d.path().join("alice.json"), d.path().join("bob.json"));
    sign_with(&ka, &statement(&"11".repeat(20)), &a);
    sign_with(&kb, &statement(&"33".repeat(20)), &b);
    let out = repro()
        .args(["attest", "verify"])
        .arg(&a)
        .arg(&b)
        .args(["--key".as_ref(), pa.as_os_str(), "--key".as_ref(), pb.as_os_str()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("DISAGREE: subject X.v1.0.0.x86_64-linux-gnu.tar.gz gitTreeSha1"),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("{}  {}", "11".repeat(20), a.display())), "{stdout}");
    assert!(stdout.contains(&format!("{}  {}", "33".repeat(20), b.display())), "{stdout}");
    assert!(stdout.contains("attestations disagree"), "{stdout}");
    // The sha256 both state is not a disagreement.
    assert!(!stdout.contains("sha256:\n"), "{stdout}");
}

/// Writes `dir/recipe.toml`: the hello recipe with `script` (its sources copied along).
fn hello_variant(dir: &Path, script: &str) -> PathBuf {
    let src = repo_root().join("recipes/hello");
    let text = std::fs::read_to_string(src.join("recipe.toml")).unwrap();
    let start = text.find("script = '''").unwrap();
    let end = start + text[start..].find("\n'''\n").unwrap() + 5;
    let new = format!("{}script = '''\n{script}\n'''\n{}", &text[..start], &text[end..]);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    for e in std::fs::read_dir(src.join("src")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.join("src").join(e.file_name())).unwrap();
    }
    std::fs::write(dir.join("recipe.toml"), new).unwrap();
    dir.join("recipe.toml")
}

const AARCH64_ENTRY: &str = r#"[[hello]]
arch = "aarch64"
git-tree-sha1 = "1111111111111111111111111111111111111111"
libc = "glibc"
os = "linux"

    [[hello.download]]
    sha256 = "2222222222222222222222222222222222222222222222222222222222222222"
    url = "https://example.invalid/hello.v1.0.0.aarch64-linux-gnu.tar.gz"
"#;

/// Serves `body` to the first HTTP GET on a loopback port; returns the URL of
/// `/Artifacts.toml`.
fn serve_once(body: Vec<u8>) -> String {
    use std::io::{Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&body);
        }
    });
    format!("http://127.0.0.1:{port}/Artifacts.toml")
}

#[test]
fn build_records_its_entry_and_verify_confirms_it() {
    if !pinned_image_or_skip("build_records_its_entry_and_verify_confirms_it") {
        return;
    }
    let run = run_id("verify-hello");
    let d = tempfile::tempdir().unwrap();
    let record = d.path().join("Artifacts.toml");
    std::fs::write(&record, AARCH64_ENTRY).unwrap();
    let recipe = repo_root().join("recipes/hello");
    let out = repro()
        .env("REPRO_RUN_ID", &run)
        .arg("build")
        .arg(&recipe)
        .arg("--out")
        .arg(d.path().join("products"))
        .arg("--artifacts-toml")
        .arg(&record)
        .args(["--download-url-base", "https://example.invalid/rel/{name}-v{version}", "--json"])
        .output()
        .unwrap();
    let stdout = ok_or_panic("repro build --artifacts-toml", &out);
    let built: Value = serde_json::from_str(&stdout).unwrap();
    let text = std::fs::read_to_string(&record).unwrap();
    // The other platform's entry is kept byte for byte; ours is appended with its URL.
    assert!(text.starts_with(AARCH64_ENTRY), "{text}");
    let tree = built["tarball"]["git_tree_sha1"].as_str().unwrap();
    let sha = built["tarball"]["sha256"].as_str().unwrap();
    assert!(text.contains(&format!("git-tree-sha1 = \"{tree}\"")), "{text}");
    assert!(text.contains(&format!("sha256 = \"{sha}\"")), "{text}");
    assert!(
        text.contains(
            "url = \"https://example.invalid/rel/hello-v1.0.0/hello.v1.0.0.x86_64-linux-gnu.tar.gz\""
        ),
        "{text}"
    );

    // A rebuild verifies against that record; the attestation names the artifact.
    let keys = tempfile::tempdir().unwrap();
    let (k, p) = generate_key(keys.path(), "k");
    let att = d.path().join("att.json");
    let out = repro()
        .env("REPRO_RUN_ID", &run)
        .arg("verify")
        .arg(&recipe)
        .arg("--against")
        .arg(d.path())
        .arg("--attest")
        .arg(&att)
        .arg("--sign-key")
        .arg(&k)
        .args(["--json", "-"])
        .output()
        .unwrap();
    let (code, r) = json_report(&out);
    assert_eq!(code, 0, "{:#}", r["verify"]);
    assert_eq!(r["verify"]["verdict"], "verified");
    assert_eq!(r["verify"]["git_tree_sha1_match"], true);
    assert_eq!(r["verify"]["sha256_match"], true);
    assert_eq!(r["verify"]["record"]["entry"], "arch=x86_64, libc=glibc, os=linux");
    assert!(r["verify"].get("published").is_none(), "{:#}", r["verify"]);
    // The same record read from an http:// URL (a server on loopback) verifies too.
    let url = serve_once(std::fs::read(&record).unwrap());
    let out = repro()
        .env("REPRO_RUN_ID", &run)
        .arg("verify")
        .arg(&recipe)
        .arg("--against")
        .arg(&url)
        .args(["--json", "-"])
        .output()
        .unwrap();
    let (code, r) = json_report(&out);
    assert_eq!(code, 0, "{:#}", r["verify"]);
    assert_eq!(r["verify"]["verdict"], "verified");
    let out = repro()
        .args(["attest", "verify"])
        .arg(&att)
        .arg("--key")
        .arg(&p)
        .arg("--json")
        .output()
        .unwrap();
    let v: Value = serde_json::from_str(&ok_or_panic("attest verify", &out)).unwrap();
    assert_eq!(v["agree"], true);
    assert_eq!(v["files"][0]["verdict"], "verified");
    let subject = &v["files"][0]["subjects"][0];
    assert_eq!(subject["name"], "hello.v1.0.0.x86_64-linux-gnu.tar.gz");
    assert_eq!(subject["digest"]["gitTreeSha1"], tree);
    assert_eq!(subject["digest"]["sha256"], sha);

    // `check --attest`: the control build's artifact is the subject, and the check's and the
    // verify's attestations (two keys) agree on it.
    let (k2, p2) = generate_key(keys.path(), "k2");
    let catt = d.path().join("check.att.json");
    let out = repro()
        .env("REPRO_RUN_ID", &run)
        .arg("check")
        .arg(&recipe)
        .arg("--attest")
        .arg(&catt)
        .arg("--sign-key")
        .arg(&k2)
        .args(["--builder-id", "second-rebuilder", "--json", "-"])
        .output()
        .unwrap();
    let (code, _) = json_report(&out);
    assert_eq!(code, 0);
    let out = repro()
        .args(["attest", "verify"])
        .arg(&att)
        .arg(&catt)
        .args([
            "--key".as_ref(),
            p.as_os_str(),
            "--key".as_ref(),
            p2.as_os_str(),
            "--json".as_ref(),
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_str(&ok_or_panic("attest verify of two", &out)).unwrap();
    assert_eq!(v["agree"], true, "{v:#}");
    assert_eq!(v["subjects"][0]["keys"].as_array().unwrap().len(), 2, "{v:#}");
    assert_eq!(v["files"][1]["verdict"], "reproducible");

    // A recipe whose build fails is "not rebuildable" (exit 2) with the reason, and no
    // attestation is written.
    let broken = hello_variant(&d.path().join("broken"), "echo cannot build >&2; exit 3");
    let att2 = d.path().join("att2.json");
    let out = repro()
        .env("REPRO_RUN_ID", &run)
        .arg("verify")
        .arg(&broken)
        .arg("--against")
        .arg(&record)
        .arg("--attest")
        .arg(&att2)
        .arg("--sign-key")
        .arg(&k)
        .args(["--json", "-"])
        .output()
        .unwrap();
    let (code, r) = json_report(&out);
    assert_eq!(code, 2, "{:#}", r["verify"]);
    assert_eq!(r["verify"]["verdict"], "not_rebuildable");
    let reason = r["verify"]["reason"].as_str().unwrap();
    assert!(reason.contains("the build failed"), "{reason}");
    assert!(!att2.exists());

    // A record without the platform is an error listing what it has.
    let only_arm = d.path().join("arm.toml");
    std::fs::write(&only_arm, AARCH64_ENTRY).unwrap();
    let out = repro().arg("verify").arg(&recipe).arg("--against").arg(&only_arm).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no `[[hello]]` entry for x86_64-linux-gnu"), "{stderr}");
    assert!(stderr.contains("arch=aarch64"), "{stderr}");
    assert!(crate::build::containers_of(&run).is_empty());
}

/// The public record: `recipes/ogg` rebuilt from the offline mirror verifies against its
/// committed `Artifacts.toml`, and its attestation verifies in securesystemslib. Then the
/// tamper test: the "published" tarball gets one byte of `include/ogg/ogg.h` changed and is
/// served from a mirror, with the record's sha256 and git-tree-sha1 updated to match; the rebuild
/// is then a mismatch whose report names exactly that file.
#[test]
fn ogg_verifies_against_its_record_and_a_tampered_record_is_a_mismatch_naming_the_file() {
    const TEST: &str = "ogg_verifies_against_its_record_and_a_tampered_record_is_a_mismatch";
    let Some(dir) = crate::real::recipe_or_skip(TEST, "ogg") else { return };
    let check_python = python_or_skip(TEST);
    let run = run_id("verify-ogg");
    let d = tempfile::tempdir().unwrap();
    let (k, p) = generate_key(d.path(), "k");
    let record = dir.join("Artifacts.toml");
    let att = d.path().join("ogg.att.json");
    let keep = d.path().join("rebuild");
    let out = repro()
        .env("REPRO_RUN_ID", &run)
        .arg("verify")
        .arg(&dir)
        .arg("--against")
        .arg(&record)
        .arg("--mirror")
        .arg(crate::real::mirror_dir())
        .arg("--cache")
        .arg(d.path().join("cache"))
        .arg("--keep")
        .arg(&keep)
        .arg("--attest")
        .arg(&att)
        .arg("--sign-key")
        .arg(&k)
        .args(["--json", "-"])
        .output()
        .unwrap();
    let (code, r) = json_report(&out);
    assert_eq!(code, 0, "recipes/ogg does not verify against its record: {:#}", r["verify"]);
    assert_eq!(r["verify"]["verdict"], "verified");
    let entries = repro_artifact::parse_artifacts_toml(
        &std::fs::read_to_string(&record).unwrap(),
        "recipes/ogg/Artifacts.toml",
    )
    .unwrap();
    let entry = entries.iter().find(|e| e.matches_target("x86_64-linux-gnu")).unwrap();
    assert_eq!(r["verify"]["rebuilt"]["git_tree_sha1"], entry.git_tree_sha1.to_hex());
    if check_python {
        let stdout = ok_or_panic(
            "securesystemslib verify of repro's attestation",
            &interop(&["verify".as_ref(), att.as_os_str(), p.as_os_str()]),
        );
        let v: Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!(v["subject"][0]["name"], "Ogg.v1.3.5.x86_64-linux-gnu.tar.gz");
        assert_eq!(v["subject"][0]["digest"]["gitTreeSha1"], entry.git_tree_sha1.to_hex());
    }

    // Tamper with the published tarball: one byte of one file.
    let rebuilt = keep.join("products/Ogg.v1.3.5.x86_64-linux-gnu.tar.gz");
    let tree = d.path().join("tampered-tree");
    repro_artifact::unpack_tarball(&rebuilt, &tree, &repro_artifact::UnpackLimits::default())
        .unwrap();
    let header = tree.join("include/ogg/ogg.h");
    let mut bytes = std::fs::read(&header).unwrap();
    let at = bytes.iter().position(|&b| b == b'a').unwrap();
    bytes[at] = b'e';
    std::fs::write(&header, bytes).unwrap();
    let mirror = d.path().join("published-mirror");
    std::fs::create_dir_all(&mirror).unwrap();
    let published =
        repro_artifact::pack_dir(&tree, &mirror.join("Ogg.v1.3.5.x86_64-linux-gnu.tar.gz"), |_| {
            true
        })
        .unwrap();
    let tampered = d.path().join("tampered");
    std::fs::create_dir_all(&tampered).unwrap();
    let url = entry.downloads[0].url.clone().expect("the record has a URL");
    let text = repro_artifact::upsert_artifacts_toml(
        Some(&std::fs::read_to_string(&record).unwrap()),
        "tampered",
        "Ogg",
        "x86_64-linux-gnu",
        &published.git_tree_sha1,
        &published.sha256,
        Some(&url),
    )
    .unwrap();
    std::fs::write(tampered.join("Artifacts.toml"), text).unwrap();

    let md = d.path().join("report.md");
    let out = repro()
        .env("REPRO_RUN_ID", &run)
        .arg("verify")
        .arg(&dir)
        .arg("--against")
        .arg(&tampered)
        .arg("--mirror")
        .arg(crate::real::mirror_dir())
        .arg("--mirror")
        .arg(&mirror)
        .arg("--cache")
        .arg(d.path().join("cache"))
        .arg("--markdown")
        .arg(&md)
        .args(["--json", "-"])
        .output()
        .unwrap();
    let (code, r) = json_report(&out);
    assert_eq!(code, 1, "{:#}", r["verify"]);
    let v = &r["verify"];
    assert_eq!(v["verdict"], "mismatch");
    assert_eq!(v["git_tree_sha1_match"], false);
    assert_eq!(v["published"]["fetched"], true, "{v:#}");
    assert_eq!(v["published"]["origin"], "mirror");
    let differing: Vec<&str> = r["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] != "normalized")
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(differing, vec!["include/ogg/ogg.h"], "{:#}", r["files"]);
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(md.contains("**mismatch**") && md.contains("include/ogg/ogg.h"), "{md}");
    assert!(crate::build::containers_of(&run).is_empty());
}
