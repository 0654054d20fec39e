//! Fetch configuration: cache directory, mirrors, offline mode.

use std::path::PathBuf;

use crate::error::{Error, Result};

/// Where sources are cached and where else they may be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchConfig {
    /// The content-addressed cache (`sha256/<hex>`, `git/<sha256 of url>`).
    pub cache_dir: PathBuf,
    /// Mirror directories, tried in order before any URL.
    pub mirrors: Vec<PathBuf>,
    /// Never touch the network (cache, mirrors and local paths only).
    pub offline: bool,
}

impl FetchConfig {
    /// Builds a configuration from command-line values and the environment.
    ///
    /// - cache: `cache`, else `REPRO_CACHE`, else `<user cache dir>/repro`;
    /// - mirrors: `mirrors`, followed by the colon-separated entries of `REPRO_MIRROR`;
    /// - offline: `REPRO_OFFLINE` set to `1`, `true` or `yes`.
    pub fn from_env_and_args(cache: Option<PathBuf>, mirrors: Vec<PathBuf>) -> Result<FetchConfig> {
        Self::from_parts(
            cache,
            mirrors,
            std::env::var_os("REPRO_CACHE").map(PathBuf::from),
            std::env::var("REPRO_MIRROR").ok(),
            std::env::var("REPRO_OFFLINE").ok(),
            dirs::cache_dir(),
        )
    }

    fn from_parts(
        cache: Option<PathBuf>,
        mut mirrors: Vec<PathBuf>,
        env_cache: Option<PathBuf>,
        env_mirror: Option<String>,
        env_offline: Option<String>,
        user_cache: Option<PathBuf>,
    ) -> Result<FetchConfig> {
        let cache_dir = cache
            .filter(|p| !p.as_os_str().is_empty())
            .or(env_cache.filter(|p| !p.as_os_str().is_empty()))
            .or(user_cache.map(|d| d.join("repro")))
            .ok_or(Error::NoCacheDir)?;
        if let Some(list) = env_mirror {
            mirrors.extend(list.split(':').filter(|s| !s.is_empty()).map(PathBuf::from));
        }
        let offline = env_offline
            .map(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
            .unwrap_or(false);
        Ok(FetchConfig { cache_dir, mirrors, offline })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence() {
        let c = FetchConfig::from_parts(
            Some("/a".into()),
            vec!["/m1".into()],
            Some("/env".into()),
            Some("/m2::/m3".into()),
            None,
            Some("/home/u/.cache".into()),
        )
        .unwrap();
        assert_eq!(c.cache_dir, PathBuf::from("/a"));
        assert_eq!(c.mirrors, vec![PathBuf::from("/m1"), "/m2".into(), "/m3".into()]);
        assert!(!c.offline);

        let c = FetchConfig::from_parts(
            None,
            vec![],
            Some("/env".into()),
            None,
            Some("1".into()),
            None,
        )
        .unwrap();
        assert_eq!(c.cache_dir, PathBuf::from("/env"));
        assert!(c.offline);

        let c = FetchConfig::from_parts(
            None,
            vec![],
            None,
            None,
            Some("0".into()),
            Some("/h/.cache".into()),
        )
        .unwrap();
        assert_eq!(c.cache_dir, PathBuf::from("/h/.cache/repro"));
        assert!(!c.offline);

        assert!(matches!(
            FetchConfig::from_parts(None, vec![], Some("".into()), None, None, None),
            Err(Error::NoCacheDir)
        ));
    }
}
