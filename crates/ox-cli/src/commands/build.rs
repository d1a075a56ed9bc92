//! `ox build`: write the artifact (fail-closed).

use crate::args::BuildArgs;
use crate::failure::Failure;
use crate::project;

pub fn run(args: BuildArgs) -> Result<(), Failure> {
    let dir = args.package.resolve()?;
    let output = match args.output {
        Some(path) => path,
        None => project::default_artifact_path(&dir)?,
    };
    let artifact = project::build_to(&dir, &output)?;
    eprintln!("built {}", output.display());
    eprintln!("  moduleHash {}", artifact.module_hash);
    eprintln!("  schemaHash {}", artifact.schema_hash);
    Ok(())
}
