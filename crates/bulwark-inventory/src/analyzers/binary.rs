//! Helpers shared by the analyzers that read compiled executables (Go
//! build information, Rust `cargo auditable` metadata): which files to
//! read, and how to find a section in ELF, Mach-O and PE files.

use bulwark_image::{EntryInfo, EntryKind};
use object::read::macho::{FatArch, MachOFatFile32, MachOFatFile64};
use object::{FileKind, Object, ObjectSection};

/// Maximum size of an executable handed to the binary analyzers. Larger
/// files are skipped: build metadata sits in small sections, and reading a
/// multi-gigabyte file into memory for it is not worth the cost.
pub(crate) const MAX_BINARY_BYTES: u64 = 200 << 20;

/// Returns whether a file may be a compiled executable worth opening:
/// a regular file with an execute bit, or a Windows `.exe`, which image
/// layers often store without execute bits. The content decides the rest.
pub(crate) fn wants_executable(info: &EntryInfo<'_>) -> bool {
    if !matches!(info.kind, EntryKind::File | EntryKind::Hardlink)
        || info.size == 0
        || info.size > MAX_BINARY_BYTES
    {
        return false;
    }
    let is_exe =
        info.path.rsplit('/').next().is_some_and(|name| {
            name.len() > 4 && name[name.len() - 4..].eq_ignore_ascii_case(".exe")
        });
    info.mode & 0o111 != 0 || is_exe
}

/// Returns whether the data starts like an ELF, Mach-O or PE file.
pub(crate) fn is_executable_format(data: &[u8]) -> bool {
    matches!(
        data.get(..4),
        Some(
            b"\x7fELF"
                | [0xfe, 0xed, 0xfa, 0xce | 0xcf]
                | [0xce | 0xcf, 0xfa, 0xed, 0xfe]
                | [0xca, 0xfe, 0xba, 0xbe | 0xbf]
        )
    ) || data.starts_with(b"MZ")
}

/// A section of an executable: its content in the file.
pub(crate) struct Section<'data> {
    pub(crate) data: &'data [u8],
}

/// An opened executable. Fat Mach-O files are opened at their first
/// architecture, since every slice carries the same build metadata.
pub(crate) struct Executable<'data> {
    file: object::File<'data>,
}

impl<'data> Executable<'data> {
    /// Parses the headers. Returns `None` for data that is not a supported
    /// executable format.
    pub(crate) fn parse(data: &'data [u8]) -> Result<Option<Self>, String> {
        if !is_executable_format(data) {
            return Ok(None);
        }
        let slice = match FileKind::parse(data) {
            Ok(FileKind::MachOFat32) => first_fat_arch32(data)?,
            Ok(FileKind::MachOFat64) => first_fat_arch64(data)?,
            Ok(
                FileKind::Elf32
                | FileKind::Elf64
                | FileKind::MachO32
                | FileKind::MachO64
                | FileKind::Pe32
                | FileKind::Pe64,
            ) => data,
            // `CAFEBABE` also starts Java class files, and `MZ` starts DOS
            // programs: neither is an error here.
            Ok(_) | Err(_) => return Ok(None),
        };
        let file =
            object::File::parse(slice).map_err(|e| format!("invalid executable headers: {e}"))?;
        Ok(Some(Self { file }))
    }

    /// Finds a section by any of the given names. Mach-O section names are
    /// matched without their segment.
    pub(crate) fn section(&self, names: &[&str]) -> Result<Option<Section<'data>>, String> {
        for name in names {
            if let Some(section) = self.file.section_by_name(name) {
                let data = section
                    .data()
                    .map_err(|e| format!("section {name} lies outside the file: {e}"))?;
                return Ok(Some(Section { data }));
            }
        }
        Ok(None)
    }

    /// Lists the sections that contain initialized, writable data, in file order.
    /// Go puts its build information near the start of the first one when
    /// it has no section of its own.
    pub(crate) fn data_sections(&self) -> Vec<Section<'data>> {
        self.file
            .sections()
            .filter(|s| {
                matches!(s.kind(), object::SectionKind::Data)
                    || s.name().is_ok_and(|n| n == ".data" || n == "__data")
            })
            .filter_map(|s| {
                let data = s.data().ok()?;
                (!data.is_empty()).then_some(Section { data })
            })
            .collect()
    }

    /// Reads `size` bytes at a virtual address, from whichever section
    /// contains it.
    pub(crate) fn read_at(&self, address: u64, size: u64) -> Option<&'data [u8]> {
        self.file
            .sections()
            .find_map(|s| s.data_range(address, size).ok().flatten())
    }
}

fn first_fat_arch32(data: &[u8]) -> Result<&[u8], String> {
    let fat = MachOFatFile32::parse(data).map_err(|e| format!("invalid fat Mach-O header: {e}"))?;
    let arch = fat
        .arches()
        .first()
        .ok_or("fat Mach-O file has no architectures")?;
    arch.data(data)
        .map_err(|e| format!("fat Mach-O architecture lies outside the file: {e}"))
}

fn first_fat_arch64(data: &[u8]) -> Result<&[u8], String> {
    let fat = MachOFatFile64::parse(data).map_err(|e| format!("invalid fat Mach-O header: {e}"))?;
    let arch = fat
        .arches()
        .first()
        .ok_or("fat Mach-O file has no architectures")?;
    arch.data(data)
        .map_err(|e| format!("fat Mach-O architecture lies outside the file: {e}"))
}
