//! The file sink: appends lines, rotates by size.

use super::{Sink, SinkError};
use crate::batch::Batch;
use crate::config::FileSinkConfig;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;

/// Appends each batch to a file in one write. With `max_bytes` set, the file is rotated at a
/// line boundary before it would grow past `max_bytes`: `<path>` becomes `<path>.1`, `<path>.1`
/// becomes `<path>.2`, and so on up to `<path>.<keep>`, which is deleted. No other file is ever
/// renamed or deleted. A single line longer than `max_bytes` gets a file of its own.
/// Files are created with mode 0640.
pub struct FileSink {
    cfg: FileSinkConfig,
    file: File,
    size: u64,
    rotations: u64,
}

impl FileSink {
    /// Opens (or creates) the file for appending.
    pub fn open(cfg: FileSinkConfig) -> io::Result<FileSink> {
        let file = open_append(&cfg.path)?;
        let size = file.metadata()?.len();
        Ok(FileSink {
            cfg,
            file,
            size,
            rotations: 0,
        })
    }

    /// How many times the file was rotated since it was opened.
    pub fn rotations(&self) -> u64 {
        self.rotations
    }

    fn rotated(&self, n: u32) -> PathBuf {
        let mut p = self.cfg.path.clone().into_os_string();
        p.push(format!(".{n}"));
        PathBuf::from(p)
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file.flush()?;
        if self.cfg.keep == 0 {
            fs::remove_file(&self.cfg.path).or_else(ignore_missing)?;
        } else {
            fs::remove_file(self.rotated(self.cfg.keep)).or_else(ignore_missing)?;
            for n in (1..self.cfg.keep).rev() {
                fs::rename(self.rotated(n), self.rotated(n + 1)).or_else(ignore_missing)?;
            }
            fs::rename(&self.cfg.path, self.rotated(1)).or_else(ignore_missing)?;
        }
        self.file = open_append(&self.cfg.path)?;
        self.size = 0;
        self.rotations += 1;
        Ok(())
    }

    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)?;
        self.size += bytes.len() as u64;
        Ok(())
    }
}

fn open_append(path: &std::path::Path) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o640)
        .open(path)
}

fn ignore_missing(e: io::Error) -> io::Result<()> {
    if e.kind() == io::ErrorKind::NotFound {
        Ok(())
    } else {
        Err(e)
    }
}

/// The length of the longest prefix of `bytes` that ends a line and is at most `room` long.
fn lines_that_fit(bytes: &[u8], room: usize) -> usize {
    let window = &bytes[..room.min(bytes.len())];
    window
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)
}

impl Sink for FileSink {
    fn write(&mut self, batch: &Batch) -> Result<u64, SinkError> {
        let mut rest = batch.encoded(self.cfg.format);
        let total = rest.len() as u64;
        let max = self.cfg.max_bytes;
        while !rest.is_empty() {
            if max == 0 {
                self.append(rest)?;
                break;
            }
            let room = max.saturating_sub(self.size) as usize;
            let mut n = if rest.len() <= room {
                rest.len()
            } else {
                lines_that_fit(rest, room)
            };
            if n == 0 {
                if self.size > 0 {
                    self.rotate()?;
                    continue;
                }
                // One line longer than max_bytes: it gets a file of its own.
                n = rest
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(rest.len(), |i| i + 1);
            }
            self.append(&rest[..n])?;
            rest = &rest[n..];
            if self.size >= max && !rest.is_empty() {
                self.rotate()?;
            }
        }
        Ok(total)
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        if self.cfg.fsync_on_flush {
            self.file.sync_data()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::lines_that_fit;

    #[test]
    fn split_lands_on_line_ends() {
        assert_eq!(lines_that_fit(b"ab\ncd\nef\n", 5), 3);
        assert_eq!(lines_that_fit(b"ab\ncd\nef\n", 6), 6);
        assert_eq!(lines_that_fit(b"abcdef\n", 3), 0);
        assert_eq!(lines_that_fit(b"ab\n", 100), 3);
    }
}
