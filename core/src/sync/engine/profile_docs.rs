//! The documents the relay keeps one of per user — the grocery list and the meal plan — and
//! how a device switches to the relay's own on connecting, merging what it had made locally
//! into them (see `Larder::use_grocery_list`, `Larder::use_meal_plan`); and the household's
//! shared list, which the relay names afresh on every connection (membership changes), and
//! the recipes others share with the user (shares come and go the same way).

use samod::ConnectionId;

use super::{SyncEngine, SyncError};

impl SyncEngine {
    /// Adopts the user's grocery list and meal plan on the relay, when this device uses others,
    /// and the household list the relay names now (or forgets the one it named before).
    pub(super) async fn adopt_profile_documents(
        &self,
        conn: ConnectionId,
    ) -> Result<(), SyncError> {
        let me = self.client.me(&self.session.token).await?;
        if let Some(list) = &self.session.grocery_list_id
            && self.larder.current_grocery_list_id()?.as_deref() != Some(list.as_str())
        {
            self.fetch(conn, list).await?;
            self.larder.use_grocery_list(list).await?;
        }
        // Sessions stored before the relay made meal plans do not name one.
        let plan = self.session.meal_plan_id.clone().or(me.meal_plan_id);
        if let Some(plan) = plan
            && self.larder.current_meal_plan_id()?.as_deref() != Some(plan.as_str())
        {
            self.fetch(conn, &plan).await?;
            self.larder.use_meal_plan(&plan).await?;
        }
        if let Some(household) = &me.household {
            for doc in household.documents() {
                self.fetch(conn, doc).await?;
            }
        }
        self.larder.set_household(me.household.as_ref()).await?;
        // Recipes shared with the user: marks follow, revoked ones leave the view.
        let incoming = self.client.incoming_shares(&self.session.token).await?;
        self.larder.adopt_incoming_shares(&incoming)?;
        Ok(())
    }
}
