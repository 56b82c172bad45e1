//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use docket_ledger::ImportOptions;

/// An event-sourced, tamper-evident ledger of legal disputes between companies.
#[derive(Debug, Parser)]
#[command(name = "docket", version, about, max_term_width = 100)]
pub struct Cli {
    /// The ledger to use [default: $DOCKET_LEDGER, or ./docket.ledger]
    #[arg(long, global = true, value_name = "PATH")]
    pub ledger: Option<PathBuf>,

    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new, empty ledger.
    Init(InitArgs),
    /// Make an Ed25519 key pair for signing events.
    Keygen(KeygenArgs),
    /// Append events (one JSON object, or NDJSON) as one atomic batch.
    Append(AppendArgs),
    /// Import an NDJSON file of events, or restore a verbatim entries export.
    Import(ImportArgs),
    /// Export the events (interchange format) or the entries (verbatim).
    Export(ExportArgs),
    /// List the entries in the order they were recorded.
    Log(LogArgs),
    /// Show one entry, by sequence number or event id.
    Show(ShowArgs),
    /// Re-hash every entry, check the chain, the head and every payload.
    Verify(VerifyArgs),
    /// Print a checkpoint (C2SP signed note) of the ledger as it is now.
    Checkpoint(CheckpointArgs),
    /// Print an entry with its Merkle inclusion proof and checkpoint.
    Prove(ProveArgs),
    /// Check a proof made by `prove`, with no ledger.
    VerifyProof(VerifyDocumentArgs),
    /// Write an evidence bundle: a dispute's entries with proofs, signed.
    Bundle(BundleArgs),
    /// Check an evidence bundle with no ledger and tell the story it proves.
    VerifyBundle(VerifyDocumentArgs),
    /// Every dispute, partnership, entity, conflict and countersuit.
    State(TimeArgs),
    /// One dispute: parties, forum, status, rulings and its full history.
    Dispute(DisputeArgs),
    /// One entity: names and parents over time, group, disputes, partnerships.
    Entity(EntityArgs),
    /// Groups that are adverse in an open dispute while partnered, and countersuits.
    Conflicts(TimeArgs),
    /// Events in the order they happened, with corrections and retractions;
    /// or drawn on a time axis (SVG, HTML).
    Timeline(TimelineArgs),
    /// Add aliases to an entity (a correction of its registration).
    Alias(AliasArgs),
    /// Merge an entity registered by mistake into the one it really is.
    Merge(MergeArgs),
    /// The relationship graph: groups, disputes, partnerships, conflicts.
    Graph(GraphArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the manual page (roff).
    Man,
    /// Build a ledger from the Amazon/Nokia example and walk through it.
    Demo,
}

/// Flags of `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Accept only events signed by keys the ledger's own key events
    /// authorise; needs --admin-key.
    #[arg(long, requires = "admin_key")]
    pub require_signatures: bool,
    /// The administrator's public key file (from `docket keygen`): the root
    /// of trust that authorises every other key.
    #[arg(long, value_name = "FILE.pub", requires = "require_signatures")]
    pub admin_key: Option<PathBuf>,
}

/// Flags of `keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Write PREFIX.key (secret, mode 0600) and PREFIX.pub.
    #[arg(long, value_name = "PREFIX", default_value = "docket")]
    pub out: PathBuf,
}

/// Flags of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Also prove the ledger is an append-only extension of this checkpoint.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Require the checkpoint to be signed by this public key file.
    #[arg(long, value_name = "FILE.pub", requires = "checkpoint")]
    pub key: Option<PathBuf>,
    /// Check the evidence only (chain, Merkle nodes, payloads, signatures),
    /// not the derived index and snapshot: no replay, and no events or
    /// state held in memory.
    #[arg(long)]
    pub skip_derived: bool,
}

/// Flags of `checkpoint`.
#[derive(Debug, Args)]
pub struct CheckpointArgs {
    /// Sign the checkpoint with this secret key file.
    #[arg(long, value_name = "KEY")]
    pub sign_with: Option<PathBuf>,
}

/// Flags of `prove`.
#[derive(Debug, Args)]
pub struct ProveArgs {
    /// A sequence number, or an event id.
    pub target: String,
    /// Prove against this earlier checkpoint instead of a fresh one.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Sign the fresh checkpoint with this secret key file.
    #[arg(long, value_name = "KEY", conflicts_with = "checkpoint")]
    pub sign_with: Option<PathBuf>,
}

/// Flags of `verify-proof` and `verify-bundle`.
#[derive(Debug, Args)]
pub struct VerifyDocumentArgs {
    /// The document to check.
    pub file: PathBuf,
    /// The public key file of whoever signed it.
    #[arg(long, value_name = "FILE.pub", required_unless_present = "unsigned")]
    pub key: Option<PathBuf>,
    /// Check without a key: only the document's internal consistency
    /// (anyone can make a document that passes this).
    #[arg(long, conflicts_with = "key")]
    pub unsigned: bool,
}

/// Flags of `bundle`.
#[derive(Debug, Args)]
pub struct BundleArgs {
    /// The dispute to bundle.
    #[arg(long, value_name = "ID")]
    pub dispute: String,
    /// Where to write the bundle.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: PathBuf,
    /// The secret key that signs the checkpoint and the manifest.
    #[arg(long, value_name = "KEY")]
    pub sign_with: PathBuf,
}

/// Flags of `append`.
#[derive(Debug, Args)]
pub struct AppendArgs {
    /// The file holding the events; `-` or nothing reads standard input.
    pub file: Option<PathBuf>,
    /// Refuse unless the ledger's head hash is this (hex).
    #[arg(long, value_name = "HASH")]
    pub expect_head: Option<String>,
    /// Refuse unless the ledger holds exactly this many entries.
    #[arg(long, value_name = "N")]
    pub expect_size: Option<u64>,
    /// Store events even if they do not fit the history; every query then
    /// reports them as anomalies.
    #[arg(long)]
    pub allow_anomalies: bool,
    /// Sign every new event with this secret key file.
    #[arg(long, value_name = "KEY")]
    pub sign_with: Option<PathBuf>,
}

/// Flags of `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The NDJSON file: events, or a verbatim export made by `export --entries`.
    pub file: PathBuf,
    /// Events per atomic, durable batch.
    #[arg(long, default_value_t = ImportOptions::DEFAULT_BATCH_SIZE as u32, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub batch_size: u32,
    /// Store events even if they do not fit the history; every query then
    /// reports them as anomalies.
    #[arg(long)]
    pub allow_anomalies: bool,
    /// Sign every new event with this secret key file.
    #[arg(long, value_name = "KEY")]
    pub sign_with: Option<PathBuf>,
    /// What the file holds: NDJSON events (or a verbatim export), or one
    /// court docket as Juriscraper or CourtListener (REST v4) JSON.
    #[arg(long, value_enum, default_value_t = ImportFormat::Ndjson)]
    pub format: ImportFormat,
    /// For a docket: this docketed party name is this entity (repeatable),
    /// for names that match several entities or should match one that the
    /// normalised name does not find.
    #[arg(long = "party", value_name = "NAME=ENTITY", value_parser = parse_mapping)]
    pub parties: Vec<(String, String)>,
}

/// What `import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormat {
    /// NDJSON events, or a verbatim export made by `export --entries`.
    Ndjson,
    /// One docket as written by Juriscraper's PACER docket parser.
    Juriscraper,
    /// One docket from CourtListener's REST API v4, parties and entries included.
    Courtlistener,
}

fn parse_mapping(text: &str) -> Result<(String, String), String> {
    match text.rsplit_once('=') {
        Some((name, entity)) if !name.trim().is_empty() && !entity.trim().is_empty() => {
            Ok((name.trim().to_string(), entity.trim().to_string()))
        }
        _ => Err(format!("expected NAME=ENTITY, got {text:?}")),
    }
}

/// Flags of `alias`.
#[derive(Debug, Args)]
pub struct AliasArgs {
    /// The entity.
    pub entity: String,
    /// The names to add as its aliases.
    #[arg(required = true)]
    pub names: Vec<String>,
    /// The date of the correction [default: today, UTC].
    #[arg(long, value_name = "DATE")]
    pub effective: Option<String>,
    /// Sign the new events with this secret key file.
    #[arg(long, value_name = "KEY")]
    pub sign_with: Option<PathBuf>,
}

/// Flags of `merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The entity registered by mistake.
    pub duplicate: String,
    /// The entity it really is.
    #[arg(long, value_name = "ENTITY")]
    pub into: String,
    /// The date of the corrections [default: today, UTC].
    #[arg(long, value_name = "DATE")]
    pub effective: Option<String>,
    /// Sign the new events with this secret key file.
    #[arg(long, value_name = "KEY")]
    pub sign_with: Option<PathBuf>,
}

/// Flags of `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Where to write; standard output when absent or `-`.
    pub file: Option<PathBuf>,
    /// Export the entries verbatim (headers, hashes, payloads) instead of
    /// the events: the backup and replication format.
    #[arg(long)]
    pub entries: bool,
}

/// The time flags every query takes (DESIGN.md section 4).
#[derive(Debug, Args, Clone, Default)]
pub struct TimeArgs {
    /// The world as of this date (end of day, UTC) or RFC 3339 timestamp.
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// Only what the ledger had recorded by this timestamp (or date).
    #[arg(long, value_name = "TIMESTAMP")]
    pub known_at: Option<String>,
    /// Only entries 0..=N.
    #[arg(long, value_name = "N")]
    pub at_seq: Option<u64>,
}

/// Flags of `dispute`.
#[derive(Debug, Args)]
pub struct DisputeArgs {
    /// The dispute's id.
    pub id: String,
    /// When to look.
    #[command(flatten)]
    pub time: TimeArgs,
}

/// Flags of `entity`.
#[derive(Debug, Args)]
pub struct EntityArgs {
    /// The entity's id.
    pub id: String,
    /// When to look.
    #[command(flatten)]
    pub time: TimeArgs,
}

/// Flags of `timeline`.
#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// Only this dispute's events.
    #[arg(long, value_name = "ID", conflicts_with = "entity")]
    pub dispute: Option<String>,
    /// Only events naming this entity.
    #[arg(long, value_name = "ID")]
    pub entity: Option<String>,
    /// How to show it.
    #[arg(long, value_enum, default_value_t = TimelineFormat::Text)]
    pub format: TimelineFormat,
    /// Write the picture here instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// When to look.
    #[command(flatten)]
    pub time: TimeArgs,
}

/// How `timeline` shows events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TimelineFormat {
    /// A table.
    Text,
    /// An SVG picture: one lane per dispute on a time axis.
    Svg,
    /// A self-contained HTML page: the SVG inline and a table of events.
    Html,
}

/// Flags of `graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// How to draw it.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
    /// Write the graph here instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// When to look.
    #[command(flatten)]
    pub time: TimeArgs,
}

/// How `graph` draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// A Mermaid flowchart.
    Mermaid,
    /// An SVG picture.
    Svg,
}

/// Flags of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Flags of `log`.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// First sequence number to list.
    #[arg(long, default_value_t = 0)]
    pub from: u64,
    /// List at most this many entries.
    #[arg(long)]
    pub limit: Option<u64>,
    /// Which entries: `--known-at` and `--at-seq` cut the log, `--as-of`
    /// keeps the events effective by then.
    #[command(flatten)]
    pub time: TimeArgs,
}

/// Flags of `show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A sequence number, or an event id.
    pub target: String,
}
