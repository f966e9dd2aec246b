//! The IDX files MNIST is distributed in, raw or gzip-compressed: a big-endian header (two zero
//! bytes, the element type 0x08 for unsigned bytes, the number of dimensions, then each
//! dimension as a u32) followed by the elements. Images are 3-dimensional (count × rows ×
//! columns), labels 1-dimensional.
//!
//! Every header is checked before anything is allocated for the elements: the magic number,
//! dimensions within [`MAX_SIDE`] and [`MAX_COUNT`], and a body of exactly the length the
//! header announces (a truncated or over-long file, or a gzip stream that inflates beyond it,
//! is refused without reading more than one byte past it).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// The magic number of an IDX file of unsigned-byte images (3 dimensions).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// The magic number of an IDX file of unsigned-byte labels (1 dimension).
pub const LABELS_MAGIC: u32 = 0x0000_0801;
/// The largest image side accepted.
pub const MAX_SIDE: u32 = 4096;
/// The most images or labels accepted.
pub const MAX_COUNT: u32 = 10_000_000;
/// The most element bytes accepted (MNIST's training images are 47 MB).
pub const MAX_BYTES: usize = 1 << 30;

/// Images read from an IDX file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxImages {
    /// Rows per image.
    pub rows: usize,
    /// Columns per image.
    pub cols: usize,
    /// Grey levels, image after image, each row-major.
    pub pixels: Vec<u8>,
}

impl IdxImages {
    /// Number of images.
    pub fn count(&self) -> usize {
        self.pixels.len() / (self.rows * self.cols)
    }
}

/// The file of a data set's part in `dir`: `name` itself, else `name.gz`.
pub fn find(dir: &Path, name: &str) -> Result<PathBuf, String> {
    let raw = dir.join(name);
    let gz = dir.join(format!("{name}.gz"));
    if raw.is_file() {
        Ok(raw)
    } else if gz.is_file() {
        Ok(gz)
    } else {
        Err(format!(
            "{}: neither {name} nor {name}.gz is there; give the directory of the four MNIST IDX files",
            dir.display()
        ))
    }
}

/// Reads the images of an IDX file (raw, or gzip where the name ends in `.gz`). Errors name
/// the file and the fault.
pub fn read_images(path: &Path) -> Result<IdxImages, String> {
    let (dims, pixels) = read(path, IMAGES_MAGIC, 3)?;
    Ok(IdxImages { rows: dims[1] as usize, cols: dims[2] as usize, pixels })
}

/// Reads the labels of an IDX file (raw, or gzip where the name ends in `.gz`).
pub fn read_labels(path: &Path) -> Result<Vec<u8>, String> {
    read(path, LABELS_MAGIC, 1).map(|(_, labels)| labels)
}

/// Parses an IDX stream of `magic` with `dims` dimensions, naming `path` in errors.
fn read(path: &Path, magic: u32, dims: usize) -> Result<(Vec<u32>, Vec<u8>), String> {
    let name = path.display();
    let file = File::open(path).map_err(|e| format!("{name}: cannot read it ({e})"))?;
    let gz = path.extension().is_some_and(|e| e == "gz");
    let reader: Box<dyn Read> =
        if gz { Box::new(flate2::read::GzDecoder::new(BufReader::new(file))) } else { Box::new(BufReader::new(file)) };
    parse(reader, magic, dims).map_err(|e| format!("{name}: {e}"))
}

/// Parses an IDX stream: its dimensions and elements.
pub fn parse(mut reader: impl Read, magic: u32, dims: usize) -> Result<(Vec<u32>, Vec<u8>), String> {
    let what = if magic == IMAGES_MAGIC { "images" } else { "labels" };
    let mut word = [0u8; 4];
    let mut next_u32 = |reader: &mut dyn Read, field: &str| -> Result<u32, String> {
        reader.read_exact(&mut word).map_err(|e| short(e, &format!("the header ends before its {field}")))?;
        Ok(u32::from_be_bytes(word))
    };
    let found = next_u32(&mut reader, "magic number")?;
    if found != magic {
        let hint = match found {
            IMAGES_MAGIC => "; it holds images, not labels",
            LABELS_MAGIC => "; it holds labels, not images",
            _ => "",
        };
        return Err(format!("magic number {found:#010x} is not that of IDX {what} ({magic:#010x}){hint}"));
    }
    let mut shape = Vec::with_capacity(dims);
    for k in 0..dims {
        let n = next_u32(&mut reader, &format!("dimension {}", k + 1))?;
        let (limit, field) = if k == 0 { (MAX_COUNT, "count") } else { (MAX_SIDE, "image side") };
        if n == 0 || n > limit {
            return Err(format!("{field} {n} in the header is not between 1 and {limit}"));
        }
        shape.push(n);
    }
    let length: usize = shape.iter().map(|&n| n as usize).product();
    if length > MAX_BYTES {
        return Err(format!("the header announces {length} bytes of {what}, more than the {MAX_BYTES} aemc reads"));
    }
    let mut body = Vec::new();
    reader.take(length as u64 + 1).read_to_end(&mut body).map_err(|e| short(e, "the body cannot be read"))?;
    match body.len().cmp(&length) {
        std::cmp::Ordering::Less => {
            Err(format!("truncated: the header announces {length} bytes of {what}, the file holds {}", body.len()))
        }
        std::cmp::Ordering::Greater => Err(format!("longer than the {length} bytes of {what} its header announces")),
        std::cmp::Ordering::Equal => Ok((shape, body)),
    }
}

/// An I/O error in words, `context` for an early end.
fn short(e: std::io::Error, context: &str) -> String {
    if e.kind() == std::io::ErrorKind::UnexpectedEof { context.to_string() } else { format!("{context}: {e}") }
}

/// The bytes of an IDX file of images (for tests and converters).
pub fn images_bytes(images: &IdxImages) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(16 + images.pixels.len());
    for n in [IMAGES_MAGIC, images.count() as u32, images.rows as u32, images.cols as u32] {
        bytes.extend(n.to_be_bytes());
    }
    bytes.extend(&images.pixels);
    bytes
}

/// The bytes of an IDX file of labels.
pub fn labels_bytes(labels: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(8 + labels.len());
    for n in [LABELS_MAGIC, labels.len() as u32] {
        bytes.extend(n.to_be_bytes());
    }
    bytes.extend(labels);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn images() -> IdxImages {
        IdxImages { rows: 3, cols: 2, pixels: (0..24).collect() }
    }

    #[test]
    fn round_trip_raw_and_gzip() {
        let dir = tempfile::tempdir().unwrap();
        let raw = dir.path().join("x-images");
        std::fs::write(&raw, images_bytes(&images())).unwrap();
        assert_eq!(read_images(&raw).unwrap(), images());
        assert_eq!(read_images(&raw).unwrap().count(), 4);
        let gz = dir.path().join("y-labels.gz");
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut encoder, &labels_bytes(&[7, 2, 9])).unwrap();
        std::fs::write(&gz, encoder.finish().unwrap()).unwrap();
        assert_eq!(read_labels(&gz).unwrap(), vec![7, 2, 9]);
        assert_eq!(find(dir.path(), "y-labels").unwrap(), gz);
        assert!(find(dir.path(), "z").unwrap_err().contains("neither z nor z.gz"));
    }

    #[test]
    fn malformed_files_name_the_fault() {
        let good = images_bytes(&images());
        let mut wrong_magic = good.clone();
        wrong_magic[3] = 0x01;
        let mut zero_side = good.clone();
        zero_side[11] = 0;
        let mut huge = good.clone();
        huge[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        let mut longer = good.clone();
        longer.push(0);
        for (bytes, needle) in [
            (&good[..10], "the header ends before its dimension 2"),
            (&good[..2], "the header ends before its magic number"),
            (&good[..20], "truncated: the header announces 24 bytes of images, the file holds 4"),
            (&wrong_magic[..], "magic number 0x00000801 is not that of IDX images (0x00000803); it holds labels"),
            (&zero_side[..], "image side 0 in the header"),
            (&huge[..], "count 4294967295 in the header is not between 1 and 10000000"),
            (&[&good[..4], &[0, 0x98, 0x96, 0x80, 0, 0, 16, 0, 0, 0, 16, 0][..]].concat()[..], "more than the"),
            (&longer[..], "longer than the 24 bytes"),
        ] {
            let err = parse(bytes, IMAGES_MAGIC, 3).unwrap_err();
            assert!(err.contains(needle), "{needle:?} → {err}");
        }
        let labels_as_images = parse(&images_bytes(&images())[..], LABELS_MAGIC, 1).unwrap_err();
        assert!(labels_as_images.contains("it holds images, not labels"), "{labels_as_images}");
        let missing = read_images(Path::new("/nonexistent/train-images-idx3-ubyte")).unwrap_err();
        assert!(missing.starts_with("/nonexistent/train-images-idx3-ubyte: cannot read it"), "{missing}");
    }

    proptest! {
        /// Any bytes: a result or an error, never a panic, and never more elements than the
        /// input holds (absurd headers do not allocate).
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64), dims in 1usize..4) {
            if let Ok((shape, body)) = parse(&bytes[..], IMAGES_MAGIC, dims) {
                prop_assert_eq!(shape.iter().map(|&n| n as usize).product::<usize>(), body.len());
                prop_assert!(body.len() <= bytes.len());
            }
        }

        /// A valid file cut anywhere short, or with bytes flipped in its header, is refused or
        /// read as exactly what its header says.
        #[test]
        fn damaged_headers_are_refused(cut in 0usize..40, flip in 0usize..16, bit in 0u8..8) {
            let good = images_bytes(&images());
            prop_assert!(parse(&good[..cut.min(good.len() - 1)], IMAGES_MAGIC, 3).is_err());
            let mut flipped = good.clone();
            flipped[flip] ^= 1 << bit;
            if let Ok((shape, body)) = parse(&flipped[..], IMAGES_MAGIC, 3) {
                prop_assert_eq!(shape.iter().map(|&n| n as usize).product::<usize>(), body.len());
            }
        }
    }
}
