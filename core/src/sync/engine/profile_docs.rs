//! The documents the relay keeps one of per user — the grocery list and the meal plan — and
//! how a device switches to the relay's own on connecting, merging what it had made locally
//! into them (see `Larder::use_grocery_list`, `Larder::use_meal_plan`).

use samod::ConnectionId;

use super::{SyncEngine, SyncError};

impl SyncEngine {
    /// Adopts the user's grocery list and meal plan on the relay, when this device uses others.
    pub(super) async fn adopt_profile_documents(
        &self,
        conn: ConnectionId,
    ) -> Result<(), SyncError> {
        if let Some(list) = &self.session.grocery_list_id
            && self.larder.current_grocery_list_id()?.as_deref() != Some(list.as_str())
        {
            self.fetch(conn, list).await?;
            self.larder.use_grocery_list(list).await?;
        }
        // Sessions stored before the relay made meal plans do not name one: ask.
        let plan = match &self.session.meal_plan_id {
            Some(plan) => Some(plan.clone()),
            None => self.client.me(&self.session.token).await?.meal_plan_id,
        };
        if let Some(plan) = plan
            && self.larder.current_meal_plan_id()?.as_deref() != Some(plan.as_str())
        {
            self.fetch(conn, &plan).await?;
            self.larder.use_meal_plan(&plan).await?;
        }
        Ok(())
    }
}
