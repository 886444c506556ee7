//! `bulwark sbom`: inventory a target and write it as an SBOM.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use bulwark_image::{Limits, Platform, Target};
use bulwark_inventory::{AnalyzerSet, Inventory};
use bulwark_report::{DocumentMeta, SbomFormat, TIMESTAMP_RANGE, render_sbom};

use crate::{EXIT_ERROR, EXIT_OK};

#[derive(clap::Args)]
pub(crate) struct SbomArgs {
    /// Image or directory: docker-archive:PATH, oci:DIR[:TAG], oci-archive:PATH,
    /// dir:PATH, a registry reference, or a path whose format is detected.
    target: String,

    /// Output format: table, json, cyclonedx or spdx-json.
    #[arg(short, long, default_value = "table", env = "BULWARK_FORMAT")]
    format: String,

    /// Write the report to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE", env = "BULWARK_OUTPUT")]
    output: Option<PathBuf>,

    #[command(flatten)]
    image: ImageArgs,
}

/// Options shared by every command that reads images.
#[derive(clap::Args)]
pub(crate) struct ImageArgs {
    /// Platform to pick from a multi-platform image, as os/arch[/variant].
    #[arg(long, env = "BULWARK_PLATFORM")]
    platform: Option<String>,

    /// Allow plain HTTP for registries on loopback addresses.
    #[arg(long, env = "BULWARK_INSECURE")]
    insecure: bool,

    /// Maximum uncompressed size of one layer, in MiB.
    #[arg(long, value_name = "MIB", env = "BULWARK_MAX_LAYER_SIZE")]
    max_layer_size: Option<u64>,

    /// Maximum ratio of uncompressed to compressed layer size.
    #[arg(long, value_name = "RATIO", env = "BULWARK_MAX_RATIO")]
    max_ratio: Option<u64>,

    /// Maximum size of a single file read by analyzers, in MiB.
    #[arg(long, value_name = "MIB", env = "BULWARK_MAX_FILE_SIZE")]
    max_file_size: Option<u64>,
}

impl ImageArgs {
    pub(crate) fn limits(&self) -> Limits {
        let mut limits = Limits::default();
        if let Some(mib) = self.max_layer_size {
            limits.max_layer_bytes = mib.saturating_mul(1 << 20);
        }
        if let Some(ratio) = self.max_ratio {
            limits.max_ratio = ratio;
        }
        if let Some(mib) = self.max_file_size {
            limits.max_file_bytes = mib.saturating_mul(1 << 20);
        }
        limits
    }

    fn platform(&self) -> anyhow::Result<Option<Platform>> {
        self.platform
            .as_deref()
            .map(Platform::parse)
            .transpose()
            .map_err(anyhow::Error::msg)
    }
}

/// A parsed and opened scan target.
pub(crate) enum OpenedTarget {
    /// A directory, walked in place.
    Dir(PathBuf),
    /// An image whose layers can be streamed.
    Image(Box<bulwark_image::Image>),
}

/// Parses `target_text` and opens it: pulls a registry image, opens an
/// archive or layout, or checks a directory.
pub(crate) fn open_target(target_text: &str, args: &ImageArgs) -> anyhow::Result<OpenedTarget> {
    let target = Target::parse(target_text)?;
    let limits = args.limits();
    let platform = args.platform()?;
    match &target {
        Target::Dir(path) => Ok(OpenedTarget::Dir(path.clone())),
        Target::Registry(reference) => {
            let image = bulwark_image::registry::pull(
                reference,
                &bulwark_image::registry::PullOptions {
                    platform,
                    insecure: args.insecure,
                    limits,
                    ..Default::default()
                },
            )?;
            Ok(OpenedTarget::Image(Box::new(image)))
        }
        _ => {
            let image = bulwark_image::open_image(&target, platform.as_ref(), &limits)
                .with_context(|| format!("failed to open {target}"))?;
            Ok(OpenedTarget::Image(Box::new(image)))
        }
    }
}

/// Opens a target and lists its packages.
pub(crate) fn inventory_target(target_text: &str, args: &ImageArgs) -> anyhow::Result<Inventory> {
    let limits = args.limits();
    let analyzers = AnalyzerSet::all();
    match open_target(target_text, args)? {
        OpenedTarget::Dir(path) => Ok(bulwark_inventory::inventory_directory(
            &path, &limits, &analyzers,
        )?),
        OpenedTarget::Image(image) => Ok(bulwark_inventory::inventory_image(
            &image, &limits, &analyzers,
        )),
    }
}

/// Reads `SOURCE_DATE_EPOCH`, rejecting values that are not integers or
/// that an RFC 3339 timestamp cannot hold.
pub(crate) fn source_date_epoch() -> anyhow::Result<Option<i64>> {
    let text = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(text) if !text.trim().is_empty() => text,
        _ => return Ok(None),
    };
    let seconds: i64 = text
        .trim()
        .parse()
        .with_context(|| format!("invalid SOURCE_DATE_EPOCH {text:?}: expected Unix seconds"))?;
    if !TIMESTAMP_RANGE.contains(&seconds) {
        bail!(
            "invalid SOURCE_DATE_EPOCH {text:?}: expected Unix seconds from {} to {}",
            TIMESTAMP_RANGE.start(),
            TIMESTAMP_RANGE.end()
        );
    }
    Ok(Some(seconds))
}

pub(crate) fn run(args: &SbomArgs) -> anyhow::Result<u8> {
    let Some(format) = SbomFormat::parse(&args.format) else {
        bail!(
            "unknown format {:?}: expected table, json, cyclonedx or spdx-json",
            args.format
        );
    };
    let inventory = inventory_target(&args.target, &args.image)?;
    let meta = DocumentMeta::new(source_date_epoch()?, inventory.source.created.as_deref());
    let text = render_sbom(format, &inventory, &meta);
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("failed to write {}", path.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
        }
    }
    for error in &inventory.errors {
        tracing::error!("{error}");
    }
    Ok(if inventory.is_partial() {
        EXIT_ERROR
    } else {
        EXIT_OK
    })
}
