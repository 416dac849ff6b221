//! Building modem pools from the configuration, once the store is open.

use std::sync::Arc;

use parking_lot::Mutex;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::codec::TpduCodec;
use super::driver::{self, ModemDeps};
use super::gsm_codec::GsmCodec;
use super::open::{Opener, SerialOpener};
use super::pool::{ModemPool, usage_key};
use super::status::ModemView;
use crate::config::{Config, ModemConfig, RouteKind};
use crate::dispatch::{Route, Shaper};
use crate::model::Timestamp;
use crate::store::Store;

/// The pools of a running daemon, for `GET /v1/modems`.
#[derive(Debug, Clone, Default)]
pub struct ModemRegistry {
    pools: Vec<Arc<ModemPool>>,
}

impl ModemRegistry {
    /// Every modem of every pool.
    pub fn views(&self) -> Vec<ModemView> {
        self.pools.iter().flat_map(|p| p.views()).collect()
    }

    /// The pools (each is a metrics collector).
    pub fn pools(&self) -> &[Arc<ModemPool>] {
        &self.pools
    }

    /// Modems up (ready and in rotation) in the pool named `route`, if it is a pool.
    pub fn up_in(&self, route: &str) -> Option<usize> {
        use crate::dispatch::Route;
        self.pools
            .iter()
            .find(|p| p.name() == route)
            .map(|p| p.up_count())
    }
}

/// Running pools: the routes, the registry, and the modem tasks to await at shutdown.
#[derive(Debug)]
pub struct Pools {
    /// One route per `modem_pool` route in the configuration.
    pub routes: Vec<Arc<dyn Route>>,
    /// For the API.
    pub registry: ModemRegistry,
    /// The modem tasks; they end when the token given to [`start_pools`] is cancelled.
    pub tasks: Vec<JoinHandle<()>>,
}

/// Starts a modem task per `[[modems]]` entry and a pool per `modem_pool` route.
/// `open` makes each modem's opener (serial devices in production).
pub fn start_pools(
    config: &Config,
    store: Arc<Store>,
    codec: Arc<dyn TpduCodec>,
    cancel: CancellationToken,
    open: &dyn Fn(&ModemConfig) -> Arc<dyn Opener>,
) -> anyhow::Result<Pools> {
    let mut out = Pools {
        routes: Vec::new(),
        registry: ModemRegistry::default(),
        tasks: Vec::new(),
    };
    let now = Timestamp::now();
    for route in config
        .routes
        .iter()
        .filter(|r| r.kind == RouteKind::ModemPool)
    {
        let wake = Arc::new(Mutex::new(None));
        let mut modems = Vec::new();
        for mc in config.modems.iter().filter(|m| m.route == route.name) {
            let mut shaper = Shaper::new(mc.rate, mc.burst, mc.daily_limit, now);
            shaper.sent_today(
                shaper.day(),
                store.usage(&usage_key(&mc.name), shaper.day())?,
            );
            let deps = ModemDeps {
                config: mc.clone(),
                opener: open(mc),
                codec: codec.clone(),
                store: store.clone(),
            };
            let (shared, task) = driver::spawn(deps, shaper, wake.clone(), cancel.clone());
            modems.push(shared);
            out.tasks.push(task);
        }
        if modems.is_empty() {
            anyhow::bail!(
                "route {:?} is a modem pool without modems; add [[modems]] entries with route = {:?}",
                route.name,
                route.name
            );
        }
        let mut pool = ModemPool::new(&route.name, modems, codec.clone(), store.clone(), wake);
        pool.set_sticky_senders(config.conversations.sticky_senders);
        let pool = Arc::new(pool);
        out.registry.pools.push(pool.clone());
        out.routes.push(pool);
    }
    Ok(out)
}

/// The production opener: the configured serial device.
pub fn serial_opener(m: &ModemConfig) -> Arc<dyn Opener> {
    Arc::new(SerialOpener::new(m.device.clone(), m.baud))
}

/// The TPDU codec of this build: [`GsmCodec`] with the segmentation options the API counts
/// parts with ([`crate::api::submit::SubmitRules::new`] uses `SegmentOptions::default()`), so
/// the parts a pool sends are the parts the API promised. Always `Some` in this build; the
/// `Option` lets a build without the codec refuse modem pools at start.
pub fn default_codec() -> Option<Arc<dyn TpduCodec>> {
    Some(Arc::new(GsmCodec::new(
        crate::gsm::SegmentOptions::default(),
    )))
}
