//! The files in `deploy/` agree with the software they deploy, so they cannot rot unnoticed:
//! the example configuration is read as the node reads it; every YAML file parses; every
//! `msp-node …` and `msp-coordinator …` command line in the Dockerfiles, the compose file, the
//! systemd units, the Kubernetes manifests and the operator's guide parses with the real clap
//! definitions; probes and health checks name routes the coordinator serves; and the node's
//! scheduled release unit, run step by step against a real coordinator, behaves as its comments say.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

use axum::{body::Body, http::Request};
use clap::Parser;
use msp_node::config::{DataDir, NodeConfig, SubmissionConfig};
use msp_store::testing::TestDb;
use msp_tests::{Options, TestCoordinator};
use serde::Deserialize;
use serde_json::Value;
use tower::ServiceExt;

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is inside the repository").to_owned()
}

fn read(relative: &str) -> String {
    let path = root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every file under `deploy/` (and the repository's `.dockerignore`), relative to the root.
fn deploy_files() -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
            let path = entry.path();
            if path.is_dir() { walk(&path, out) } else { out.push(path) }
        }
    }
    let mut out = Vec::new();
    walk(&root().join("deploy"), &mut out);
    let mut files: Vec<String> =
        out.iter().map(|p| p.strip_prefix(root()).unwrap().to_string_lossy().replace('\\', "/")).collect();
    files.sort();
    files
}

// ---------------------------------------------------------------------------------------------
// Reading the file formats
// ---------------------------------------------------------------------------------------------

/// Every document of a YAML file, as JSON values.
fn yaml_documents(relative: &str) -> Vec<Value> {
    let text = read(relative);
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).unwrap_or_else(|e| panic!("{relative} is not valid YAML: {e}")))
        .filter(|v| !v.is_null())
        .collect()
}

fn yaml(relative: &str) -> Value {
    let mut docs = yaml_documents(relative);
    assert_eq!(docs.len(), 1, "{relative} should hold one document");
    docs.remove(0)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().map(|s| s.as_str().expect("a string").to_owned()).collect()).unwrap_or_default()
}

/// A Dockerfile's instructions, continuation lines joined, comments dropped.
fn dockerfile(relative: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for line in read(relative).lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && pending.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                pending.push_str(part);
                pending.push(' ');
            }
            None => {
                pending.push_str(trimmed);
                let (op, rest) = pending.split_once(' ').unwrap_or((&pending, ""));
                out.push((op.to_uppercase(), rest.trim().to_owned()));
                pending.clear();
            }
        }
    }
    out
}

fn instructions<'a>(file: &'a [(String, String)], op: &str) -> Vec<&'a str> {
    file.iter().filter(|(o, _)| o == op).map(|(_, r)| r.as_str()).collect()
}

/// The last instruction `op` of a Dockerfile's final stage, as a JSON (exec-form) array.
fn exec_form(file: &[(String, String)], op: &str) -> Vec<String> {
    let last = instructions(file, op).last().copied().unwrap_or_else(|| panic!("no {op}"));
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{op} {last} is not in exec form: {e}"))
}

/// A systemd unit's settings: (section, key) → every value given, in order.
fn unit(relative: &str) -> BTreeMap<(String, String), Vec<String>> {
    let mut out: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut section = String::new();
    for line in read(relative).lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_owned();
            continue;
        }
        let (key, value) = line.split_once('=').unwrap_or_else(|| panic!("{relative}: {line:?} is not key=value"));
        out.entry((section.clone(), key.trim().to_owned())).or_default().push(value.trim().to_owned());
    }
    out
}

fn setting<'a>(u: &'a BTreeMap<(String, String), Vec<String>>, section: &str, key: &str) -> &'a [String] {
    u.get(&(section.to_owned(), key.to_owned())).map_or(&[], Vec::as_slice)
}

/// Splits a shell line into words: quotes, backslash escapes, and `#` comments.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '"' => {
                in_word = true;
                while let Some(q) = chars.next() {
                    match q {
                        '"' => break,
                        '\\' => word.extend(chars.next()),
                        _ => word.push(q),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.extend(chars.next());
            }
            '#' if !in_word => break,
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

// ---------------------------------------------------------------------------------------------
// Command lines
// ---------------------------------------------------------------------------------------------

const BINARIES: [&str; 2] = ["msp-node", "msp-coordinator"];

/// A command line found in a deploy file: the binary's name, then its arguments.
#[derive(Debug, Clone)]
struct Found {
    place: String,
    argv: Vec<String>,
}

/// Parses a command line with the binary's real clap definition.
fn parses(found: &Found) -> Result<(), String> {
    let result = match found.argv[0].as_str() {
        "msp-node" => msp_node::cli::Cli::try_parse_from(&found.argv).map(drop),
        "msp-coordinator" => msp_coordinator::cli::Cli::try_parse_from(&found.argv).map(drop),
        other => panic!("{other} is not one of the binaries"),
    };
    result.map_err(|e| format!("{}: `{}` does not parse:\n{e}", found.place, found.argv.join(" ")))
}

/// The binary a word names: `msp-node`, or a path to it in a bin directory.
fn binary(word: &str) -> Option<&'static str> {
    BINARIES.into_iter().find(|b| word == *b || word.ends_with(&format!("/bin/{b}")))
}

/// Words that end a command in a shell line.
fn ends_command(word: &str) -> bool {
    matches!(word, "|" | "||" | "&&" | ";" | "&") || word.starts_with('>') || word.starts_with("2>") || word == "<"
}

/// Options of `docker compose run` that take a value.
const COMPOSE_RUN_VALUED: [&str; 12] =
    ["-e", "--env", "-v", "--volume", "-w", "--workdir", "-u", "--user", "--name", "-p", "--publish", "--entrypoint"];

/// The command lines in one shell line. `services` maps compose services to their binaries, for
/// `docker compose … run [options] SERVICE ARGS`.
fn commands_in_shell_line(line: &str, place: &str, services: &BTreeMap<String, String>) -> Vec<Found> {
    let words = shell_words(line);
    // Programs whose arguments may name the binaries without running them.
    const NOT_RUNNING: [&str; 12] = [
        "useradd",
        "groupadd",
        "chown",
        "chmod",
        "install",
        "systemctl",
        "journalctl",
        "mkdir",
        "cp",
        "ls",
        "cat",
        "echo",
    ];
    if words.first().is_some_and(|w| NOT_RUNNING.contains(&w.as_str())) {
        return Vec::new();
    }
    // kubectl runs a program only after `--` (in `kubectl exec … -- PROGRAM`); before it, the
    // binaries' names are names of Kubernetes objects.
    let first = match words.first().map(String::as_str) {
        Some("kubectl") => match words.iter().position(|w| w == "--") {
            Some(dashes) => dashes + 1,
            None => return Vec::new(),
        },
        _ => 0,
    };
    let mut out = Vec::new();
    let take = |from: usize, name: &str| {
        let mut argv = vec![name.to_owned()];
        argv.extend(words[from..].iter().take_while(|w| !ends_command(w)).cloned());
        Found { place: place.to_owned(), argv }
    };
    let mut i = first;
    while i < words.len() {
        let w = words[i].as_str();
        if w == "run" && i >= 1 && words[..i].iter().any(|p| p == "compose") {
            // docker compose [-f FILE] run [options] SERVICE ARGS
            let mut j = i + 1;
            while j < words.len() && words[j].starts_with('-') {
                j += if COMPOSE_RUN_VALUED.contains(&words[j].as_str()) { 2 } else { 1 };
            }
            let service = words.get(j).unwrap_or_else(|| panic!("{place}: `{line}` names no service"));
            let name = services.get(service).unwrap_or_else(|| panic!("{place}: no compose service {service}"));
            out.push(take(j + 1, name));
            break;
        }
        let previous = if i > 0 { words[i - 1].as_str() } else { "" };
        if let Some(name) = binary(w)
            && !matches!(previous, "-u" | "--user" | "-t" | "--tag" | "-g" | "--group")
        {
            out.push(take(i + 1, name));
            i += out.last().map_or(1, |f| f.argv.len());
            continue;
        }
        i += 1;
    }
    out
}

/// The compose file's services, mapped to the binary each image runs.
fn compose_binaries() -> BTreeMap<String, String> {
    let compose = yaml("deploy/compose.yaml");
    let mut out = BTreeMap::new();
    for (name, service) in compose["services"].as_object().unwrap() {
        if let Some(dockerfile) = service["build"]["dockerfile"].as_str() {
            let entrypoint = exec_form(&self::dockerfile(dockerfile), "ENTRYPOINT");
            out.insert(name.clone(), entrypoint[0].clone());
        }
    }
    out
}

/// The Dockerfile that builds an image named in the compose file or the Kubernetes manifests.
fn dockerfile_for_image(image: &str) -> String {
    let binary = binary(image).unwrap_or_else(|| panic!("the image {image} is not named after a binary"));
    format!("deploy/docker/{}.Dockerfile", binary.trim_start_matches("msp-"))
}

/// The lines of the fenced shell blocks of a Markdown file, continuation lines joined.
fn markdown_shell_lines(relative: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let (mut in_fence, mut shell) = (false, false);
    let mut pending: Option<(usize, String)> = None;
    for (n, line) in read(relative).lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            in_fence = !in_fence;
            shell = in_fence && matches!(trimmed.trim_start_matches('`'), "sh" | "bash" | "console");
            continue;
        }
        if !shell {
            continue;
        }
        let (start, mut text) = pending.take().unwrap_or((n + 1, String::new()));
        match line.strip_suffix('\\') {
            Some(part) => {
                text.push_str(part);
                pending = Some((start, text));
            }
            None => {
                text.push_str(line);
                out.push((start, text));
            }
        }
    }
    out
}

/// Every command line in the deploy files, with where it was found.
fn all_commands() -> Vec<Found> {
    let services = compose_binaries();
    let mut found = Vec::new();
    for file in deploy_files() {
        // The msp images' Dockerfiles (not the trial PostgreSQL's, which runs no msp binary).
        if file.ends_with(".Dockerfile") && !file.ends_with("postgres.Dockerfile") {
            let d = dockerfile(&file);
            let mut argv = exec_form(&d, "ENTRYPOINT");
            argv.extend(exec_form(&d, "CMD"));
            found.push(Found { place: format!("{file}: ENTRYPOINT + CMD"), argv });
        } else if file.ends_with(".service") {
            let u = unit(&file);
            for (n, exec) in setting(&u, "Service", "ExecStart").iter().enumerate() {
                let exec = exec.trim_start_matches(['-', '@', '+', '!', ':']);
                let place = format!("{file}: ExecStart #{}", n + 1);
                let mut cmds = commands_in_shell_line(exec, &place, &services);
                assert_eq!(cmds.len(), 1, "{place}: {exec}");
                found.append(&mut cmds);
            }
        } else if file == "deploy/compose.yaml" {
            let compose = yaml(&file);
            for (name, service) in compose["services"].as_object().unwrap() {
                if let (Some(binary), Some(command)) = (services.get(name), service.get("command")) {
                    let mut argv = vec![binary.clone()];
                    argv.extend(strings(command));
                    found.push(Found { place: format!("{file}: services.{name}.command"), argv });
                }
            }
        } else if file.starts_with("deploy/kubernetes/") && file.ends_with(".yaml") {
            for doc in yaml_documents(&file) {
                for c in containers(&doc) {
                    let image = c["image"].as_str().unwrap();
                    let d = dockerfile(&dockerfile_for_image(image));
                    let mut argv = match c.get("command") {
                        Some(command) => strings(command),
                        None => exec_form(&d, "ENTRYPOINT"),
                    };
                    argv.extend(match c.get("args") {
                        Some(args) => strings(args),
                        None => exec_form(&d, "CMD"),
                    });
                    let place = format!("{file}: {} container {}", doc["metadata"]["name"], c["name"]);
                    found.push(Found { place, argv });
                }
            }
        } else if file.ends_with(".md") {
            for (line, text) in markdown_shell_lines(&file) {
                found.extend(commands_in_shell_line(&text, &format!("{file}:{line}"), &services));
            }
        }
    }
    found
}

/// The containers of a Kubernetes workload (Deployment or Job).
fn containers(doc: &Value) -> Vec<&Value> {
    doc["spec"]["template"]["spec"]["containers"].as_array().map(|a| a.iter().collect()).unwrap_or_default()
}

/// The value that follows `flag` in a command line.
fn flag<'a>(argv: &'a [String], flag: &str) -> Option<&'a str> {
    argv.iter().position(|a| a == flag).and_then(|i| argv.get(i + 1)).map(String::as_str)
}

/// The port of a `--listen` address.
fn listen_port(argv: &[String]) -> u16 {
    let addr: std::net::SocketAddr = flag(argv, "--listen").expect("serve --listen").parse().unwrap();
    addr.port()
}

// ---------------------------------------------------------------------------------------------
// The coordinator's routes
// ---------------------------------------------------------------------------------------------

/// The status the coordinator answers a GET of `path` with, in memory, on a fresh database.
async fn statuses(paths: &[String]) -> Vec<u16> {
    let db = TestDb::sqlite();
    let keys = tempfile::tempdir().unwrap();
    let store = msp_coordinator::store::Store::open(&db.url).await.unwrap();
    let key = msp_coordinator::signing_key::SigningKey::load_or_create(keys.path()).unwrap();
    let app = msp_coordinator::http::router(msp_coordinator::http::AppState::new(
        store.clone(),
        key,
        msp_coordinator::clock::system_clock(),
    ));
    let mut out = Vec::new();
    for path in paths {
        let request = Request::get(path.as_str()).body(Body::empty()).unwrap();
        out.push(app.clone().oneshot(request).await.unwrap().status().as_u16());
    }
    store.db().close().await;
    out
}

/// The port and path a health check asks: `msp-healthcheck [PATH]`, whose defaults (the port, and
/// the path when none is given) are read from the script itself.
fn health_check_url(words: &[String]) -> (u16, String) {
    let at = words.iter().position(|w| w == "msp-healthcheck").expect("the check runs msp-healthcheck");
    let script = read("deploy/docker/msp-healthcheck");
    let default = |variable: &str| -> String {
        let start =
            script.find(&format!("{variable}=\"${{")).unwrap_or_else(|| panic!("no {variable}= in msp-healthcheck"));
        let rest = &script[start..];
        let value = rest.split_once(":-").unwrap().1;
        value[..value.find('}').unwrap()].to_owned()
    };
    let path = words.get(at + 1).cloned().unwrap_or_else(|| default("path"));
    assert!(path.starts_with('/'), "msp-healthcheck asks a path: {path}");
    let port = default("port").parse().expect("msp-healthcheck's default port is a number");
    (port, path)
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn the_example_node_configuration_is_read_as_the_node_reads_it_and_documents_every_setting() {
    let text = read("deploy/config/node.example.toml");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(msp_node::config::CONFIG_FILE), &text).unwrap();
    let config = DataDir::new(dir.path()).load().expect("node.example.toml is a valid node.toml");
    config.budget().validate().expect("the example budget is usable");
    assert!(config.coordinator_url.starts_with("https://"));
    assert!(config.context.is_some() && config.ca_cert.is_some() && config.requires_approval());
    // Every setting the node knows is shown, set or commented out: serialise a configuration with
    // everything set and look for each key.
    let mut full: NodeConfig = config.clone();
    full.database_url = Some("postgres://example".into());
    full.submission = Some(SubmissionConfig { require_approval: true, ..Default::default() });
    full.web = Some(msp_node::config::WebConfig {
        tls_cert: Some("web.pem".into()),
        tls_key: Some("web-key.pem".into()),
        ..Default::default()
    });
    let full: toml::Table = toml::to_string(&full).unwrap().parse().unwrap();
    let mut keys = Vec::new();
    for (k, v) in &full {
        match v.as_table() {
            Some(t) => {
                assert!(text.contains(&format!("[{k}]")), "node.example.toml lacks [{k}]");
                keys.extend(t.keys().cloned());
            }
            None => keys.push(k.clone()),
        }
    }
    for k in keys {
        assert!(
            text.lines().any(|l| l.trim_start_matches(['#', ' ']).starts_with(&format!("{k} ="))),
            "node.example.toml does not show the setting {k}"
        );
    }
    // The other example configuration the node reads.
    msp_node::import::Mapping::parse(&read("deploy/config/mapping-caseworks.example.toml")).unwrap();
}

#[test]
fn the_example_policy_is_read_as_the_coordinator_reads_it_and_shows_every_setting_at_its_default() {
    let path = root().join("deploy/config/policy.example.toml");
    let policy = msp_coordinator::config::read_policy(&path).expect("policy.example.toml is a valid policy");
    assert_eq!(policy, msp_schemas::policy::NetworkPolicy::default(), "every setting shown is the default");
    let text = read("deploy/config/policy.example.toml");
    let defaults = serde_json::to_value(msp_schemas::policy::NetworkPolicy::default()).unwrap();
    for (k, v) in defaults.as_object().unwrap() {
        if k == "format" {
            continue;
        }
        let shown = match v.as_object() {
            Some(table) => {
                text.contains(&format!("[{k}]")) && table.keys().all(|sub| text.contains(&format!("\n{sub} = ")))
            }
            None => text.contains(&format!("\n{k} = ")),
        };
        assert!(shown, "policy.example.toml does not show the setting {k}");
    }
}

#[test]
fn the_example_environment_files_set_only_variables_the_binaries_read() {
    let known = [
        ("deploy/config/coordinator.env.example", msp_coordinator::config::DATABASE_URL_ENV),
        ("deploy/config/node.env.example", msp_node::config::DATABASE_URL_ENV),
    ];
    for (file, database_variable) in known {
        let mut set = BTreeMap::new();
        for line in read(file).lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let (k, v) = line.split_once('=').unwrap_or_else(|| panic!("{file}: {line:?} is not NAME=value"));
            set.insert(k.to_owned(), v.to_owned());
        }
        let names: BTreeSet<&str> = set.keys().map(String::as_str).collect();
        assert_eq!(names, BTreeSet::from([database_variable, "RUST_LOG"]), "{file}");
        assert!(set[database_variable].starts_with("postgres://"), "{file}");
        assert!(set[database_variable].contains("REPLACE"), "{file}: the password must be an obvious placeholder");
    }
}

#[test]
fn every_yaml_file_in_deploy_parses() {
    let files: Vec<String> =
        deploy_files().into_iter().filter(|f| f.ends_with(".yaml") || f.ends_with(".yml")).collect();
    assert!(files.len() >= 7, "{files:?}");
    for file in files {
        let docs = yaml_documents(&file);
        assert!(!docs.is_empty(), "{file} is empty");
        if file.starts_with("deploy/kubernetes/") && !file.ends_with("kustomization.yaml") {
            for doc in docs {
                assert!(doc["apiVersion"].is_string() && doc["kind"].is_string(), "{file}: {doc}");
                assert!(doc["metadata"]["name"].is_string(), "{file}: every object is named");
            }
        }
    }
}

#[tokio::test]
async fn the_images_build_one_crate_each_and_run_it_as_a_non_root_user() {
    for (crate_name, file) in
        [("msp-coordinator", "deploy/docker/coordinator.Dockerfile"), ("msp-node", "deploy/docker/node.Dockerfile")]
    {
        let d = dockerfile(file);
        // The builder and the base are build arguments defaulting to the public images; the stages
        // are the build, the runtime's base, `prebuilt` (a binary from deploy/docker/bin/) and the
        // default last stage, which takes the build's binary.
        let args = instructions(&d, "ARG");
        assert!(
            args.contains(&"BASE=debian:bookworm-slim") && args.contains(&"RUST_IMAGE=rust:1-bookworm"),
            "{file}: {args:?}"
        );
        let from = instructions(&d, "FROM");
        assert_eq!(
            from,
            [
                "${RUST_IMAGE} AS build",
                "${BASE} AS runtime-base",
                "runtime-base AS prebuilt",
                "runtime-base AS runtime"
            ],
            "{file}"
        );
        let copies = instructions(&d, "COPY");
        assert!(
            copies
                .contains(&format!("--chmod=0755 deploy/docker/bin/{crate_name} /usr/local/bin/{crate_name}").as_str()),
            "{file}: {copies:?}"
        );
        assert_eq!(
            copies.last().copied(),
            Some(format!("--from=build /out/{crate_name} /usr/local/bin/{crate_name}").as_str()),
            "{file}"
        );
        let runs = instructions(&d, "RUN").join("\n");
        assert!(runs.contains(&format!("cargo build --release --locked -p {crate_name}")), "{file}");
        assert!(runs.contains("type=cache,target=/usr/local/cargo/registry"), "{file}");
        if crate_name == "msp-node" {
            assert!(runs.contains("perl") && runs.contains("make"), "{file}: opendp's OpenSSL needs perl and make");
        } else {
            assert!(!runs.contains("perl"), "{file}: the coordinator links no opendp, so it builds no OpenSSL");
        }
        assert!(runs.contains("ca-certificates"), "{file}");
        assert_eq!(exec_form(&d, "ENTRYPOINT"), [crate_name], "{file}");
        let user = instructions(&d, "USER");
        assert!(!user.is_empty() && !user.last().unwrap().starts_with("root"), "{file}");
        // The data directory the binary defaults to (by its environment variable) is the volume.
        let variable = if crate_name == "msp-node" { "MSP_NODE_DIR" } else { "MSP_COORDINATOR_DIR" };
        let env = instructions(&d, "ENV").into_iter().find_map(|e| e.strip_prefix(&format!("{variable}=")));
        let dir = env.unwrap_or_else(|| panic!("{file} sets no {variable}"));
        assert_eq!(instructions(&d, "VOLUME"), [format!("[\"{dir}\"]")], "{file}");
    }
    let d = dockerfile("deploy/docker/coordinator.Dockerfile");
    let argv: Vec<String> = [exec_form(&d, "ENTRYPOINT"), exec_form(&d, "CMD")].concat();
    let port = listen_port(&argv);
    assert_eq!(instructions(&d, "EXPOSE"), [port.to_string()]);
    assert!(
        instructions(&d, "COPY")
            .iter()
            .any(|c| c.ends_with("deploy/docker/msp-healthcheck /usr/local/bin/msp-healthcheck"))
    );
    let health = instructions(&d, "HEALTHCHECK");
    let (health_port, path) = health_check_url(&shell_words(&health[0].replace(['[', ']', ','], " ")));
    assert_eq!(health_port, port, "the health check asks the port the coordinator listens on");
    assert_eq!(statuses(&[path]).await, [200], "the image's health check asks a route that answers");
    let ignored = read(".dockerignore");
    for must in ["target/", "node_modules", ".git/"] {
        assert!(ignored.lines().any(|l| l.contains(must)), ".dockerignore leaves out {must}");
    }
}

#[tokio::test]
async fn compose_runs_the_coordinator_on_postgresql_with_its_tls_and_data_on_volumes() {
    let compose = yaml("deploy/compose.yaml");
    let services = compose["services"].as_object().unwrap();
    for name in ["postgres", "coordinator", "node"] {
        assert!(services.contains_key(name), "compose has no {name} service");
    }
    let binaries = compose_binaries();
    assert_eq!(binaries["coordinator"], "msp-coordinator");
    assert_eq!(binaries["node"], "msp-node");
    let coordinator = &services["coordinator"];
    let url = coordinator["environment"][msp_coordinator::config::DATABASE_URL_ENV].as_str().unwrap();
    assert!(url.starts_with("postgres://") && url.contains("@postgres:5432/"), "{url}");
    assert_eq!(coordinator["depends_on"]["postgres"]["condition"], "service_healthy");
    let volume_targets = |service: &Value| -> Vec<String> {
        strings(&service["volumes"]).iter().map(|v| v.split(':').nth(1).unwrap().to_owned()).collect()
    };
    let mounted = volume_targets(coordinator);
    let argv: Vec<String> =
        ["msp-coordinator".to_owned()].into_iter().chain(strings(&coordinator["command"])).collect();
    for f in ["--tls-cert", "--tls-key"] {
        let path = flag(&argv, f).unwrap();
        assert!(mounted.iter().any(|m| path.starts_with(&format!("{m}/"))), "{path} is not in a mounted directory");
    }
    // The data directories (the images' volumes) are named volumes, not lost with the container.
    for (service, dir) in [("coordinator", "/var/lib/msp-coordinator"), ("node", "/var/lib/msp-node")] {
        let volumes = strings(&services[service]["volumes"]);
        let data = volumes.iter().find(|v| v.ends_with(&format!(":{dir}"))).expect("the data directory");
        let name = data.split(':').next().unwrap();
        assert!(compose["volumes"].get(name).is_some(), "{name} is not a named volume");
    }
    let port = listen_port(&argv);
    assert!(strings(&coordinator["ports"]).contains(&format!("{port}:{port}")));
    let (health_port, path) = health_check_url(&strings(&coordinator["healthcheck"]["test"]));
    assert_eq!(health_port, port);
    assert_eq!(statuses(&[path]).await, [200], "the compose health check asks a route that answers");
    assert_eq!(services["node"]["depends_on"]["coordinator"]["condition"], "service_healthy");
}

#[tokio::test]
async fn the_kubernetes_deployment_probes_real_routes_over_https_and_mounts_a_shared_signing_key() {
    let kustomization = yaml("deploy/kubernetes/kustomization.yaml");
    let resources = strings(&kustomization["resources"]);
    let on_disk: BTreeSet<String> = deploy_files()
        .into_iter()
        .filter_map(|f| f.strip_prefix("deploy/kubernetes/").map(str::to_owned))
        .filter(|f| f.ends_with(".yaml") && f != "kustomization.yaml")
        .collect();
    let listed: BTreeSet<String> = resources.iter().cloned().collect();
    let left_out: Vec<&String> = on_disk.difference(&listed).collect();
    assert_eq!(left_out, ["secret.example.yaml"], "only the example Secret stays out of the kustomization");
    let image_names: Vec<&str> =
        kustomization["images"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();

    let mut secrets: BTreeSet<String> = yaml_documents("deploy/kubernetes/secret.example.yaml")
        .iter()
        .map(|s| s["metadata"]["name"].as_str().unwrap().to_owned())
        .collect();
    // Made from the key file with `kubectl create secret generic` (the README says how).
    secrets.insert("msp-coordinator-signing-key".into());

    let deployment = yaml("deploy/kubernetes/deployment.yaml");
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let c = containers(&deployment)[0];
    assert!(image_names.contains(&c["image"].as_str().unwrap()), "the kustomization sets the Deployment's image");
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
    assert!(c["resources"]["requests"].is_object() && c["resources"]["limits"]["memory"].is_string());
    let argv: Vec<String> = ["msp-coordinator".to_owned()].into_iter().chain(strings(&c["args"])).collect();
    let port = listen_port(&argv);
    let ports = c["ports"].as_array().unwrap();
    let named = ports.iter().find(|p| p["containerPort"] == port).expect("the --listen port is a container port");
    let port_name = named["name"].as_str().unwrap();

    // Probes: over HTTPS, on the serving port, at routes that answer.
    let mut paths = Vec::new();
    for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
        let get = &c[probe]["httpGet"];
        assert_eq!(get["scheme"], "HTTPS", "{probe}");
        assert!(get["port"] == port_name || get["port"] == port, "{probe}");
        paths.push(get["path"].as_str().unwrap().to_owned());
    }
    assert_eq!(paths[1], "/healthz", "liveness");
    assert_eq!(paths[2], "/readyz", "readiness");
    assert_eq!(statuses(&paths).await, [200, 200, 200], "{paths:?}");

    // Every file a flag names, and the signing key, come from a mounted Secret.
    let volumes: BTreeMap<&str, &Value> =
        pod["volumes"].as_array().unwrap().iter().map(|v| (v["name"].as_str().unwrap(), v)).collect();
    let mounts: Vec<(&str, &str)> = c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["mountPath"].as_str().unwrap(), m["name"].as_str().unwrap()))
        .collect();
    let from_secret = |file: &str| {
        let (dir, name) = file.rsplit_once('/').unwrap();
        let (_, volume) =
            mounts.iter().find(|(path, _)| *path == dir).unwrap_or_else(|| panic!("{dir} is not mounted"));
        let secret = &volumes[volume]["secret"];
        assert!(secrets.contains(secret["secretName"].as_str().unwrap()), "{file}: unknown Secret");
        let items = secret["items"].as_array().unwrap();
        assert!(items.iter().any(|i| i["path"] == name), "{file} is not an item of its Secret");
    };
    for f in ["--tls-cert", "--tls-key", "--client-ca"] {
        if let Some(path) = flag(&argv, f) {
            from_secret(path);
        }
    }
    let env: BTreeMap<&str, &Value> =
        c["env"].as_array().unwrap().iter().map(|e| (e["name"].as_str().unwrap(), e)).collect();
    let data_dir = env["MSP_COORDINATOR_DIR"]["value"].as_str().unwrap();
    from_secret(&format!("{data_dir}/keys/coordinator.p8"));
    assert!(mounts.iter().any(|(path, _)| *path == data_dir), "the data directory is a writable volume");
    let database = &env[msp_coordinator::config::DATABASE_URL_ENV]["valueFrom"]["secretKeyRef"];
    assert!(secrets.contains(database["name"].as_str().unwrap()));

    let service = yaml("deploy/kubernetes/service.yaml");
    assert_eq!(service["spec"]["selector"], deployment["spec"]["selector"]["matchLabels"]);
    let target = &service["spec"]["ports"][0]["targetPort"];
    assert!(*target == port_name || *target == port);

    let job = yaml("deploy/kubernetes/job-migrate.yaml");
    let m = containers(&job)[0];
    assert_eq!(strings(&m["args"]), ["migrate"]);
    assert!(image_names.contains(&m["image"].as_str().unwrap()), "the kustomization sets the Job's image");
    let same = Value::Array(c["env"].as_array().unwrap()[..2].to_vec());
    assert_eq!(m["env"], same, "the Job reaches the same database as the replicas");
}

#[test]
fn the_systemd_units_are_hardened_and_the_timer_runs_quarterly() {
    for file in [
        "deploy/systemd/msp-coordinator.service",
        "deploy/systemd/msp-node-release.service",
        "deploy/systemd/msp-node-web.service",
    ] {
        let u = unit(file);
        for (key, value) in
            [("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("PrivateTmp", "yes")]
        {
            assert_eq!(setting(&u, "Service", key), [value], "{file}: {key}");
        }
        assert!(setting(&u, "Service", "User").len() == 1, "{file} runs as a user of its own");
        // The data directory the binary is pointed at is the state directory systemd makes writable.
        let state = &setting(&u, "Service", "StateDirectory")[0];
        let dir = setting(&u, "Service", "Environment")
            .iter()
            .find_map(|e| e.split_once('=').filter(|(k, _)| k.ends_with("_DIR")).map(|(_, v)| v.to_owned()))
            .unwrap();
        assert_eq!(dir, format!("/var/lib/{state}"), "{file}");
    }
    let coordinator = unit("deploy/systemd/msp-coordinator.service");
    assert_eq!(setting(&coordinator, "Service", "EnvironmentFile"), ["/etc/msp-coordinator/coordinator.env"]);

    let release = unit("deploy/systemd/msp-node-release.service");
    assert_eq!(setting(&release, "Service", "Type"), ["oneshot"]);
    let steps: Vec<Vec<String>> =
        setting(&release, "Service", "ExecStart").iter().map(|e| shell_words(e)[1..].to_vec()).collect();
    assert_eq!(steps, [vec!["release".to_owned(), "--yes".to_owned()], vec!["submit".to_owned()]]);

    // The web view runs as the node's user on the node's data directory, on the default
    // (loopback) address of node.toml: the unit names none.
    let web = unit("deploy/systemd/msp-node-web.service");
    assert_eq!(setting(&web, "Service", "User"), setting(&release, "Service", "User"));
    assert_eq!(setting(&web, "Service", "StateDirectory"), setting(&release, "Service", "StateDirectory"));
    let serve: Vec<Vec<String>> =
        setting(&web, "Service", "ExecStart").iter().map(|e| shell_words(e)[1..].to_vec()).collect();
    assert_eq!(serve, [vec!["serve".to_owned()]]);

    let timer = unit("deploy/systemd/msp-node-release.timer");
    assert_eq!(setting(&timer, "Timer", "Persistent"), ["true"]);
    assert!(!setting(&timer, "Timer", "RandomizedDelaySec").is_empty());
    let calendar = &setting(&timer, "Timer", "OnCalendar")[0];
    // Every run is in the first month of a quarter, after the last one ended: so "the last
    // finished quarter" is the same quarter at each of them.
    let (date, _) = calendar.split_once(' ').unwrap();
    let mut parts = date.split('-');
    assert_eq!(parts.next(), Some("*"));
    assert_eq!(parts.next(), Some("01,04,07,10"), "{calendar}");
    let days: Vec<u8> = parts.next().unwrap().split(',').map(|d| d.parse().unwrap()).collect();
    assert!(days.iter().all(|d| (1..=31).contains(d)), "{calendar}");
}

#[test]
fn every_command_line_in_deploy_parses_with_the_real_command_line_definitions() {
    let found = all_commands();
    let failures: Vec<String> = found.iter().filter_map(|f| parses(f).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // The extraction itself is checked: each kind of file gave its commands.
    let count = |prefix: &str| found.iter().filter(|f| f.place.starts_with(prefix)).count();
    assert_eq!(count("deploy/docker/"), 2);
    assert_eq!(count("deploy/compose.yaml"), 1);
    assert_eq!(count("deploy/systemd/"), 4);
    assert_eq!(count("deploy/kubernetes/"), 2);
    assert!(count("deploy/README.md") >= 20, "the guide's commands: {}", count("deploy/README.md"));
}

#[test]
fn the_command_extraction_finds_commands_and_only_commands() {
    let services = BTreeMap::from([("node".to_owned(), "msp-node".to_owned())]);
    let argv = |line: &str| -> Vec<Vec<String>> {
        commands_in_shell_line(line, "here", &services).into_iter().map(|f| f.argv).collect()
    };
    assert_eq!(argv("sudo -u msp-node msp-node --data-dir /d status"), [["msp-node", "--data-dir", "/d", "status"]]);
    assert_eq!(
        argv("docker compose -f deploy/compose.yaml run --rm -T -v a:b node import x.csv > out.txt"),
        [["msp-node", "import", "x.csv"]]
    );
    assert_eq!(
        argv("msp-node init --recording-system 'Case Works' --json | tee r.json"),
        [["msp-node", "init", "--recording-system", "Case Works", "--json"]]
    );
    assert!(argv("systemctl start msp-node-release.service").is_empty());
    assert!(argv("install -m 0755 target/release/msp-node /usr/local/bin/msp-node").is_empty());
    assert!(argv("docker build -f deploy/docker/node.Dockerfile -t msp-node .").is_empty());
    assert!(argv("kubectl -n msp rollout status deploy/msp-coordinator").is_empty());
    assert!(argv("kubectl -n msp create secret generic msp-coordinator --from-literal=a=b").is_empty());
    assert_eq!(
        argv("kubectl -n msp exec deploy/msp-coordinator -- msp-coordinator council list"),
        [["msp-coordinator", "council", "list"]]
    );
    assert!(
        parses(&Found { place: "here".into(), argv: vec!["msp-node".into(), "release".into(), "--perod".into()] })
            .is_err()
    );
}

/// Runs one `msp-node` command line in this process, against the node in `data`.
async fn node(data: &Path, argv: &[String]) -> Result<(), String> {
    let mut argv = argv.to_vec();
    argv.extend(["--data-dir".to_owned(), data.display().to_string()]);
    let cli = msp_node::cli::Cli::try_parse_from(&argv).map_err(|e| e.to_string())?;
    msp_node::cli::run(cli).await.map_err(|e| e.to_string())
}

async fn node_ok(data: &Path, args: &[&str]) {
    let argv: Vec<String> = ["msp-node"].iter().chain(args).map(|s| (*s).to_owned()).collect();
    node(data, &argv).await.unwrap_or_else(|e| panic!("msp-node {}: {e}", args.join(" ")));
}

/// The release unit's ExecStart= lines, run in order as systemd does: stops at the first failure.
async fn run_release_unit(data: &Path) -> Result<(), String> {
    let u = unit("deploy/systemd/msp-node-release.service");
    for exec in setting(&u, "Service", "ExecStart") {
        let mut argv = shell_words(exec);
        argv[0] = binary(&argv[0]).expect("an msp-node command").to_owned();
        node(data, &argv).await?;
    }
    Ok(())
}

#[tokio::test]
async fn the_release_unit_waits_for_an_import_passes_over_an_unapproved_release_and_sends_it_once_approved() {
    msp_tests::crypto();
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::sqlite();
    let c = TestCoordinator::start(dir.path().join("coordinator"), &db.url, Options::default()).await;
    let data = dir.path().join("node");
    let ca = c.ca.display().to_string();
    node_ok(
        &data,
        &[
            "init",
            "--council",
            "E06000001",
            "--coordinator",
            &c.base,
            "--ca-cert",
            &ca,
            "--team-model",
            "specialist",
            "--msp-level",
            "silver",
        ],
    )
    .await;
    let key = msp_node::keys::SigningKey::load(&DataDir::new(&data).keys_dir()).unwrap();
    msp_coordinator::councils::enrol(
        &c.store,
        "E06000001".parse().unwrap(),
        &key.public_key_b64(),
        Some(key.fingerprint()),
    )
    .await
    .unwrap();
    let mut config = DataDir::new(&data).load().unwrap();
    config.submission = Some(SubmissionConfig { require_approval: true, ..Default::default() });
    DataDir::new(&data).save(&config).unwrap();

    // Before the quarter's data are imported, the run stops at the release and spends nothing.
    let err = run_release_unit(&data).await.unwrap_err();
    assert!(err.contains("msp-node import") && err.contains("no budget was spent"), "{err}");
    let store = msp_node::store::Store::open(&DataDir::new(&data).database_url(&config), config.council).await.unwrap();
    assert!(store.charges().await.unwrap().is_empty());

    let quarter = msp_node::release::last_finished_quarter(time::OffsetDateTime::now_utc().date()).unwrap().to_string();
    let cases = dir.path().join("cases.csv").display().to_string();
    node_ok(&data, &["synth", "--period", &quarter, "--people", "40", "--history-quarters", "0", "--out", &cases])
        .await;
    node_ok(&data, &["import", &cases]).await;

    // Released, but not approved: the run succeeds and sends nothing.
    run_release_unit(&data).await.expect("a run with a release awaiting approval succeeds");
    assert_eq!(store.charges().await.unwrap().len(), 1, "one release made");
    assert_eq!(c.stored().await, 0, "nothing sent before approval");

    // Approved: the next run sends it; a run after that changes nothing.
    node_ok(&data, &["approve", "--period", &quarter, "--by", "A. Lead"]).await;
    run_release_unit(&data).await.expect("the run after approval succeeds");
    assert_eq!(c.stored().await, 1, "sent once approved");
    run_release_unit(&data).await.expect("a repeated run succeeds");
    assert_eq!(c.stored().await, 1);
    assert_eq!(store.charges().await.unwrap().len(), 1, "a repeated run spends nothing");
    store.db().close().await;
    c.stop().await;
}
