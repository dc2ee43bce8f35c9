//! End to end: the controllers, the scheduler and the node that `berth up` runs reach its API
//! server over the in-memory connection (`berth_apiserver::Loopback`), not through its TCP
//! listener (kube-rs's stock HTTP/1.1 client would hold a socket per watch, ~20).

use std::collections::HashSet;

use berth_testkit::{eventually, Berth};

/// Socket inodes among the open files of process `pid`.
fn socket_inodes(pid: u32) -> HashSet<String> {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("the process's fds")
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter_map(|target| {
            let t = target.to_string_lossy();
            Some(t.strip_prefix("socket:[")?.strip_suffix(']')?.to_string())
        })
        .collect()
}

/// Which end of a TCP connection a process holds.
#[derive(Clone, Copy)]
enum End {
    /// The process connected to the port (its socket's remote port is `port`).
    Client,
    /// The process accepted on the port (its socket's local port is `port`).
    Server,
}

/// Established TCP connections of process `pid` whose `end` is on `port`, from
/// `/proc/<pid>/net/tcp{,6}`: columns `sl local rem st ... inode`, addresses as `HEXIP:HEXPORT`.
fn connections(pid: u32, port: u16, end: End) -> usize {
    let inodes = socket_inodes(pid);
    let port = format!(":{port:04X}");
    let column = match end {
        End::Client => 2,
        End::Server => 1,
    };
    ["tcp", "tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).ok())
        .map(|text| {
            text.lines()
                .skip(1)
                .filter(|line| {
                    let cols: Vec<&str> = line.split_whitespace().collect();
                    const ESTABLISHED: &str = "01";
                    cols.len() > 9
                        && cols[column].ends_with(&port)
                        && cols[3] == ESTABLISHED
                        && inodes.contains(cols[9])
                })
                .count()
        })
        .sum()
}

#[test]
fn controllers_scheduler_and_node_open_no_connection_to_the_listener() {
    let b = Berth::start(env!("CARGO_BIN_EXE_berth")).expect("berth starts");
    // A running pod means every component has watched and written: the scheduler bound it,
    // the node ran it, and the controllers' caches synced (they watch before acting).
    b.kubectl(&["run", "web", "--image=nginx"]).ok();
    eventually("the pod to run", 30, || {
        let out = b.kubectl(&["get", "pod", "web", "-o", "jsonpath={.status.phase}"]);
        (out.stdout == "Running").then_some(())
    });
    let port: u16 = b
        .url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a port in the url");
    let pid = b.pid().expect("berth runs");
    // A connection of the test's own shows that the table is read right: berth holds its server end.
    let _ours = std::net::TcpStream::connect(("127.0.0.1", port)).expect("the listener accepts");
    eventually("berth to accept the test's connection", 10, || {
        (connections(pid, port, End::Server) >= 1).then_some(())
    });
    assert_eq!(
        connections(pid, port, End::Client),
        0,
        "berth's own connections to its listener (port {port}): its components use the in-memory one"
    );
}
