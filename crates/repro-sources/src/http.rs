//! HTTP(S) downloads with ureq: streamed to disk, hashed on the fly, capped, with timeouts.

use std::io::Write;
use std::time::Duration;

use crate::cache::{CopyError, copy_hashing};
use crate::error::{Error, Result};

/// An HTTP client with the timeouts used for source downloads.
pub(crate) fn agent() -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .timeout_per_read(Some(Duration::from_secs(60)))
        .user_agent(concat!("repro/", env!("CARGO_PKG_VERSION")))
        // Hash the bytes as served: never let the client transparently decompress.
        .accept_encoding("identity")
        .max_redirects(10)
        .build();
    ureq::Agent::new_with_config(config)
}

/// Downloads `url` into `out`. Returns (sha256 hex, bytes). `started` gets the announced length,
/// `progress` the running byte count.
pub(crate) fn download(
    agent: &ureq::Agent,
    url: &str,
    out: &mut dyn Write,
    limit: u64,
    started: impl FnOnce(Option<u64>),
    progress: impl FnMut(u64),
) -> Result<(String, u64)> {
    let http_err = |message: String| Error::Http { url: url.to_owned(), message };
    let response = agent.get(url).call().map_err(|e| match e {
        ureq::Error::StatusCode(code) => http_err(format!("the server answered HTTP {code}")),
        other => http_err(other.to_string()),
    })?;
    if let Some(enc) = response.headers().get("content-encoding").and_then(|v| v.to_str().ok())
        && !enc.eq_ignore_ascii_case("identity")
    {
        return Err(http_err(format!("the server sent an encoded body (content-encoding: {enc})")));
    }
    let total = response.body().content_length();
    if let Some(n) = total
        && n > limit
    {
        return Err(Error::TooLarge { url: url.to_owned(), limit });
    }
    started(total);
    let mut reader = response.into_body().into_reader();
    let (hex, n) = copy_hashing(&mut reader, out, limit, progress).map_err(|e| match e {
        CopyError::TooLarge => Error::TooLarge { url: url.to_owned(), limit },
        CopyError::Read(e) => http_err(format!("connection failed while receiving the body: {e}")),
        CopyError::Write(e) => http_err(format!("cannot write the download to the cache: {e}")),
    })?;
    if let Some(expected) = total
        && n != expected
    {
        return Err(http_err(format!("the body ended after {n} of {expected} bytes")));
    }
    Ok((hex, n))
}
