//! A grocery-list document as larder-core's [`GroceryDoc`]: reading it (after checking its
//! `kind`), writing it back (autosurgeon reconciles only what changed, so concurrent edits from
//! devices merge), and the items as the hook shows them. All of this is quick synchronous work
//! on one small document; callers on the async runtime run it on the blocking pool.

use automerge::Automerge;
use larder_core::model::{GROCERY_KIND, GroceryDoc, doc_kind};

use crate::store::HookItem;

#[derive(Debug, thiserror::Error)]
pub enum DocError {
    #[error("the document is not a grocery list")]
    NotAGroceryList,
    #[error("the grocery list cannot be read: {0}")]
    Hydrate(#[from] autosurgeon::HydrateError),
    #[error("the grocery list cannot be written: {0}")]
    Reconcile(String),
}

/// The list in `am`.
pub fn read(am: &Automerge) -> Result<GroceryDoc, DocError> {
    if doc_kind(am).as_deref() != Some(GROCERY_KIND) {
        return Err(DocError::NotAGroceryList);
    }
    Ok(autosurgeon::hydrate(am)?)
}

/// Writes `list` into `am` as one change (none if nothing differs).
pub fn write(am: &mut Automerge, list: &GroceryDoc) -> Result<(), DocError> {
    am.transact(|tx| autosurgeon::reconcile(tx, list))
        .map(|_| ())
        .map_err(|f| DocError::Reconcile(f.error.to_string()))
}

/// One item of `list`, if it exists.
pub fn item(list: &GroceryDoc, id: &str) -> Option<HookItem> {
    list.items.get(id).map(|i| HookItem {
        id: id.to_owned(),
        name: i.name.clone(),
        quantity: i.total_quantity(),
        unit: i.unit.clone(),
        checked: i.checked,
    })
}

/// Every item, in the list's order (as added; ties by id).
pub fn items(list: &GroceryDoc) -> Vec<HookItem> {
    list.to_items()
        .into_iter()
        .map(|i| HookItem {
            id: i.id,
            name: i.name,
            quantity: i.quantity,
            unit: i.unit,
            checked: i.checked,
        })
        .collect()
}

/// A new grocery list: larder-core's empty [`GroceryDoc`](larder_core::model::GroceryDoc),
/// `{"kind": "larder.grocery", "items": {}}`.
pub fn new_grocery_list() -> Automerge {
    let mut doc = Automerge::new();
    doc.transact(|tx| autosurgeon::reconcile(tx, larder_core::model::GroceryDoc::new()))
        .expect("building an empty grocery list cannot fail");
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_relays_new_list_reads_as_an_empty_grocery_doc() {
        let mut am = new_grocery_list();
        let mut list = read(&am).unwrap();
        assert!(list.items.is_empty());
        let id = larder_core::grocery::merge_addition(
            &mut list,
            larder_core::grocery::addition_from_parts("milk", Some(1.0), Some("l")).unwrap(),
            5,
        )
        .item_id;
        write(&mut am, &list).unwrap();
        let back = read(&am).unwrap();
        assert_eq!(items(&back), vec![item(&back, &id).unwrap()]);
        assert_eq!(item(&back, &id).unwrap().unit, "l");
        assert!(matches!(
            read(&Automerge::new()),
            Err(DocError::NotAGroceryList)
        ));
    }
}
