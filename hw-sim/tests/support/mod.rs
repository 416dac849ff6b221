//! A minimal serial client for driving simulated modems over their real PTYs.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_serial::{SerialPortBuilderExt, SerialStream};

/// How long any single wait may take before the test fails (bounded tests).
pub const WAIT: Duration = Duration::from_secs(5);

/// A serial port opened on a simulated modem's link.
pub struct Port {
    stream: SerialStream,
    /// Bytes received and not yet consumed.
    pub buf: Vec<u8>,
}

impl Port {
    /// Open the link as a serial port.
    pub fn open(link: &Path) -> Port {
        let stream = tokio_serial::new(link.to_string_lossy(), 115_200)
            .open_native_async()
            .unwrap();
        Port {
            stream,
            buf: Vec::new(),
        }
    }

    /// Write raw bytes.
    pub async fn write(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    /// Read until the received text contains `pat`; returns everything up to and including it.
    pub async fn until(&mut self, pat: &str) -> String {
        self.try_until(pat, WAIT)
            .await
            .unwrap_or_else(|got| panic!("no {pat:?} within {WAIT:?}; got {got:?}"))
    }

    /// Like [`Port::until`] but gives up after `limit`, returning what arrived as the error.
    pub async fn try_until(&mut self, pat: &str, limit: Duration) -> Result<String, String> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Some(pos) = find(&self.buf, pat.as_bytes()) {
                let end = pos + pat.len();
                let taken: Vec<u8> = self.buf.drain(..end).collect();
                return Ok(String::from_utf8_lossy(&taken).into_owned());
            }
            let mut chunk = [0u8; 1024];
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                // End of file: the other side is gone (a vanished modem). Without this the
                // loop would spin on ready zero-length reads and never reach its deadline.
                Ok(Ok(0)) => return Err(format!("end of file; buffer {:?}", self.text())),
                Ok(Ok(n)) => self.buf.extend_from_slice(&chunk[..n]),
                Ok(Err(e)) => return Err(format!("read error {e}; buffer {:?}", self.text())),
                Err(_) => return Err(self.text()),
            }
        }
    }

    /// Collect whatever arrives during `d`.
    pub async fn drain_for(&mut self, d: Duration) -> String {
        let _ = self.try_until("\u{0}never\u{0}", d).await;
        let t = self.text();
        self.buf.clear();
        t
    }

    /// Send a command line and read up to its final result code (V.250 §5.7.1, TS 27.007
    /// §9.2, TS 27.005 §3.2.5) or the `> ` prompt.
    pub async fn cmd(&mut self, line: &str) -> String {
        self.write(format!("{line}\r").as_bytes()).await;
        self.final_result().await
    }

    /// Read up to a final result code or prompt.
    pub async fn final_result(&mut self) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let text = self.text();
            for end in ["\r\nOK\r\n", "\r\nERROR\r\n", "\r\n> ", "NO CARRIER\r\n"] {
                if let Some(pos) = text.find(end) {
                    return self.take(pos + end.len());
                }
            }
            for prefix in ["+CMS ERROR:", "+CME ERROR:"] {
                if let Some(pos) = text.find(prefix)
                    && let Some(nl) = text[pos..].find("\r\n")
                {
                    return self.take(pos + nl + 2);
                }
            }
            let mut chunk = [0u8; 1024];
            match tokio::time::timeout_at(deadline, self.stream.read(&mut chunk)).await {
                Ok(Ok(n)) if n > 0 => self.buf.extend_from_slice(&chunk[..n]),
                other => panic!("no final result: {other:?}; got {:?}", self.text()),
            }
        }
    }

    fn take(&mut self, n: usize) -> String {
        let taken: Vec<u8> = self.buf.drain(..n).collect();
        String::from_utf8_lossy(&taken).into_owned()
    }

    /// The unconsumed bytes as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buf).into_owned()
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
