//! The admin suite through scim-actix: the admin scope at `/admin` beside the SCIM scope at
//! `/scim`, served by actix-web's own test service (`common`).

use common::ActixApp;
use scim_core::MemoryStore;
use scim_core::admin::AdminService;
use scim_core::engine::Engine;
use scim_core::testing::admin::AdminHarness;

mod common;

struct Actix;

impl AdminHarness for Actix {
    type Client = ActixApp;

    async fn serve(
        &self,
        engine: Engine<MemoryStore>,
        admin: AdminService<MemoryStore>,
    ) -> ActixApp {
        ActixApp::start("", move |config| {
            config
                .service(scim_actix::scope("/scim", engine))
                .service(scim_actix::admin_scope("/admin", admin));
        })
    }
}

scim_core::scim_admin_tests!(Actix);
