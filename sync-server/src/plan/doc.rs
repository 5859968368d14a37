//! A meal-plan document as larder-core's [`PlanDoc`]: read only after its `kind` says it is
//! one. Quick synchronous work on one small document (run it in the document's shard).

use automerge::Automerge;
use larder_core::model::{PLAN_KIND, PlanDoc, doc_kind};

#[derive(Debug, thiserror::Error)]
pub enum PlanDocError {
    #[error("the document is not a meal plan")]
    NotAPlan,
    #[error("the meal plan cannot be read: {0}")]
    Hydrate(#[from] autosurgeon::HydrateError),
}

/// The plan in `am`.
pub fn read(am: &Automerge) -> Result<PlanDoc, PlanDocError> {
    if doc_kind(am).as_deref() != Some(PLAN_KIND) {
        return Err(PlanDocError::NotAPlan);
    }
    Ok(autosurgeon::hydrate(am)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relays_new_plan_reads_as_an_empty_plan_doc() {
        let plan = read(&crate::sync::new_meal_plan()).unwrap();
        assert_eq!(plan, PlanDoc::new());
        assert!(matches!(
            read(&Automerge::new()),
            Err(PlanDocError::NotAPlan)
        ));
        assert!(matches!(
            read(&crate::hook::doc::new_grocery_list()),
            Err(PlanDocError::NotAPlan)
        ));
    }
}
