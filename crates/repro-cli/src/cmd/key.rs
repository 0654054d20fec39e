//! `repro key generate`: an ed25519 key pair for signing attestations.

use std::path::PathBuf;

use anyhow::Result;

use crate::EXIT_OK;
use crate::ui::Ctx;

#[derive(clap::Subcommand, Debug)]
pub(crate) enum KeyCommand {
    /// Generate an ed25519 key pair: FILE (PKCS#8 PEM private key, mode 0600) and FILE.pub
    /// (SubjectPublicKeyInfo PEM public key). Prints the key id.
    Generate(GenerateArgs),
}

#[derive(clap::Args, Debug)]
pub(crate) struct GenerateArgs {
    /// The private key file to create (must not exist).
    #[arg(value_name = "FILE")]
    private: PathBuf,
    /// The public key file (default: FILE.pub).
    #[arg(long, value_name = "FILE")]
    public: Option<PathBuf>,
}

pub(crate) fn run(cmd: KeyCommand, _ctx: &Ctx) -> Result<u8> {
    let KeyCommand::Generate(args) = cmd;
    let public = args.public.clone().unwrap_or_else(|| {
        let mut p = args.private.clone().into_os_string();
        p.push(".pub");
        PathBuf::from(p)
    });
    let pair = repro_attest::generate_key_files(&args.private, &public)?;
    #[allow(clippy::print_stdout)]
    {
        println!("private key {}", args.private.display());
        println!("public key  {}", public.display());
        println!("key id      {}", pair.keyid);
    }
    Ok(EXIT_OK)
}
