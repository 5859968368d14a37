//! One pass over a recipe document's changes, in causal order, grouping them into versions and
//! working out what each changed from its operations alone (see the module above for the
//! grouping rule). Objects are known by the operation that made them: the root's text, tags,
//! ingredient and attachment lists, and each row or attachment map in those lists (a list
//! element keeps the id of the insert that made it; a row replaced in place keeps its element).

use std::collections::{BTreeSet, HashMap};

use automerge::legacy::{ElementId, Key, ObjectId, OpId, OpType};
use automerge::{ActorId, Automerge, ChangeHash, ObjType, ScalarValue};

use super::{GROUP_WINDOW_MS, RESTORE_MESSAGE, RowRef, TextEdit, VersionChanges};

/// Root fields that are bookkeeping, not content.
const IGNORED_FIELDS: &[&str] = &["kind", "created_at", "updated_at"];

/// The recipe's fields in their order, for a stable `fields` list.
const FIELD_ORDER: &[&str] = &[
    "title",
    "description",
    "servings",
    "yield_text",
    "prep_minutes",
    "cook_minutes",
    "total_minutes",
    "tags",
    "source_url",
    "import_key",
];

/// A version as the walk found it.
pub(super) struct Group {
    pub actor: ActorId,
    pub last: ChangeHash,
    /// The last change's timestamp as stored.
    pub time: i64,
    pub count: u32,
    pub changes: VersionChanges,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Obj {
    Steps,
    Notes,
    Tags,
    Ingredients,
    Attachments,
    Row,
    Attachment,
}

/// An ingredient row or attachment map: its key field and the name people know it by.
#[derive(Default, Clone)]
struct Item {
    key: String,
    name: String,
}

/// What the changes of the open group did, before it is netted out.
#[derive(Default)]
struct Acc {
    created: bool,
    fields: BTreeSet<usize>,
    extra_fields: BTreeSet<String>,
    rows_added: Vec<OpId>,
    rows_removed: Vec<Item>,
    rows_touched: Vec<OpId>,
    steps: Option<TextEdit>,
    notes: Option<TextEdit>,
    files_added: Vec<OpId>,
    files_removed: Vec<Item>,
    deleted: bool,
    undeleted: bool,
    restored_from: Option<String>,
}

#[derive(Default)]
struct State {
    objects: HashMap<OpId, Obj>,
    /// Values of the puts on root, rows, tags and attachments: what later puts are compared to.
    values: HashMap<OpId, ScalarValue>,
    /// List element (its insert's id) → the row or attachment map in it now.
    elements: HashMap<OpId, OpId>,
    items: HashMap<OpId, Item>,
}

pub(super) fn walk(doc: &Automerge) -> Vec<Group> {
    let mut state = State::default();
    let mut groups: Vec<Group> = Vec::new();
    let mut acc = Acc::default();
    let mut open: Option<Group> = None;
    for change in doc.get_changes(&[]) {
        let hash = change.hash();
        let message = change.message().map(str::to_string);
        let joins = open.as_ref().is_some_and(|g| {
            g.actor == *change.actor_id()
                && change.deps() == [g.last]
                && message.is_none()
                && acc.restored_from.is_none()
                && !acc.created
                && change.timestamp().saturating_sub(g.time) <= GROUP_WINDOW_MS
                && change.timestamp() >= g.time
        });
        if !joins && let Some(group) = open.take() {
            groups.push(finish(group, std::mem::take(&mut acc), &state));
        }
        let group = open.get_or_insert_with(|| Group {
            actor: change.actor_id().clone(),
            last: hash,
            time: change.timestamp(),
            count: 0,
            changes: VersionChanges::default(),
        });
        group.last = hash;
        group.time = change.timestamp();
        group.count += 1;
        if change.deps().is_empty() {
            acc.created = true;
        }
        if let Some(from) = message
            .as_deref()
            .and_then(|m| m.strip_prefix(RESTORE_MESSAGE))
        {
            acc.restored_from = Some(from.to_string());
        }
        let expanded = change.decode();
        let start = expanded.start_op.get();
        for (i, op) in expanded.operations.into_iter().enumerate() {
            let id = OpId(start + i as u64, expanded.actor_id.clone());
            state.apply(&mut acc, id, op);
        }
    }
    if let Some(group) = open.take() {
        groups.push(finish(group, acc, &state));
    }
    groups
}

impl State {
    fn apply(&mut self, acc: &mut Acc, id: OpId, op: automerge::legacy::Op) {
        match &op.obj {
            ObjectId::Root => self.root_op(acc, id, op),
            ObjectId::Id(obj) => {
                let Some(kind) = self.objects.get(obj).copied() else {
                    return;
                };
                let obj = obj.clone();
                match kind {
                    Obj::Steps | Obj::Notes => {
                        let edit = if kind == Obj::Steps {
                            &mut acc.steps
                        } else {
                            &mut acc.notes
                        };
                        let edit = edit.get_or_insert_with(TextEdit::default);
                        match op.action {
                            OpType::Put(_) if op.insert => edit.inserted += 1,
                            OpType::Delete => edit.deleted += 1,
                            _ => {}
                        }
                    }
                    Obj::Tags => {
                        let changed = match &op.action {
                            OpType::Put(v) => {
                                let changed = op.insert || self.differs(&op.pred, v);
                                self.values.insert(id, v.clone());
                                changed
                            }
                            _ => true,
                        };
                        if changed {
                            acc.fields.insert(field_index("tags"));
                        }
                    }
                    Obj::Ingredients | Obj::Attachments => {
                        let rows = kind == Obj::Ingredients;
                        self.list_op(acc, id, op, rows);
                    }
                    Obj::Row | Obj::Attachment => self.item_op(acc, id, obj, op, kind),
                }
            }
        }
    }

    fn root_op(&mut self, acc: &mut Acc, id: OpId, op: automerge::legacy::Op) {
        let Key::Map(name) = &op.key else { return };
        let name = name.as_str();
        match &op.action {
            OpType::Make(ty) => {
                let kind = match (name, ty) {
                    ("steps", ObjType::Text) => Some(Obj::Steps),
                    ("notes", ObjType::Text) => Some(Obj::Notes),
                    ("tags", ObjType::List) => Some(Obj::Tags),
                    ("ingredients", ObjType::List) => Some(Obj::Ingredients),
                    ("attachments", ObjType::List) => Some(Obj::Attachments),
                    _ => None,
                };
                if let Some(kind) = kind {
                    self.objects.insert(id, kind);
                }
                if !acc.created && !op.pred.is_empty() && name == "tags" {
                    acc.fields.insert(field_index("tags"));
                }
            }
            OpType::Put(v) => {
                let changed = self.differs(&op.pred, v);
                self.values.insert(id, v.clone());
                if !changed || IGNORED_FIELDS.contains(&name) {
                    return;
                }
                if name == "deleted" {
                    match v {
                        ScalarValue::Boolean(true) => acc.deleted = true,
                        ScalarValue::Boolean(false) if !op.pred.is_empty() => acc.undeleted = true,
                        _ => {}
                    }
                    return;
                }
                self.note_field(acc, name);
            }
            OpType::Delete if !IGNORED_FIELDS.contains(&name) => self.note_field(acc, name),
            _ => {}
        }
    }

    fn note_field(&self, acc: &mut Acc, name: &str) {
        match FIELD_ORDER.iter().position(|f| *f == name) {
            Some(i) => {
                acc.fields.insert(i);
            }
            None => {
                acc.extra_fields.insert(name.to_string());
            }
        }
    }

    /// An operation on the ingredient or attachment list: an element inserted, replaced or
    /// deleted.
    fn list_op(&mut self, acc: &mut Acc, id: OpId, op: automerge::legacy::Op, rows: bool) {
        let element = match &op.key {
            Key::Seq(ElementId::Id(e)) => Some(e.clone()),
            _ => None,
        };
        let item_kind = if rows { Obj::Row } else { Obj::Attachment };
        match op.action {
            OpType::Make(ObjType::Map) => {
                if !op.insert
                    && let Some(old) = element.as_ref().and_then(|e| self.elements.get(e))
                {
                    let old = self.items.get(old).cloned().unwrap_or_default();
                    push_removed(acc, rows, old);
                }
                let element = if op.insert {
                    id.clone()
                } else {
                    element.unwrap_or_else(|| id.clone())
                };
                self.elements.insert(element, id.clone());
                self.objects.insert(id.clone(), item_kind);
                self.items.insert(id.clone(), Item::default());
                if rows {
                    acc.rows_added.push(id);
                } else {
                    acc.files_added.push(id);
                }
            }
            OpType::Delete => {
                if let Some(old) = element.as_ref().and_then(|e| self.elements.remove(e)) {
                    let old = self.items.get(&old).cloned().unwrap_or_default();
                    push_removed(acc, rows, old);
                }
            }
            _ => {}
        }
    }

    /// A put on a row or attachment map: learns its key and name; a row whose value changed is
    /// touched.
    fn item_op(
        &mut self,
        acc: &mut Acc,
        id: OpId,
        obj: OpId,
        op: automerge::legacy::Op,
        kind: Obj,
    ) {
        let Key::Map(name) = &op.key else { return };
        let (key_field, name_field) = if kind == Obj::Row {
            ("id", "name")
        } else {
            ("sha256", "file_name")
        };
        match &op.action {
            OpType::Put(v) => {
                let changed = self.differs(&op.pred, v);
                self.values.insert(id, v.clone());
                if let (Some(item), ScalarValue::Str(s)) = (self.items.get_mut(&obj), v) {
                    if name.as_str() == key_field {
                        item.key = s.to_string();
                    } else if name.as_str() == name_field {
                        item.name = s.to_string();
                    }
                }
                if changed && kind == Obj::Row {
                    acc.rows_touched.push(obj);
                }
            }
            OpType::Delete if kind == Obj::Row => acc.rows_touched.push(obj),
            _ => {}
        }
    }

    /// Whether a put of `value` over `pred` changes what is there: a new key, a value that
    /// differs, or an overwritten op this walk did not record.
    fn differs(&self, pred: &automerge::legacy::SortedVec<OpId>, value: &ScalarValue) -> bool {
        pred.is_empty()
            || pred
                .iter()
                .any(|p| self.values.get(p).is_none_or(|old| old != value))
    }
}

fn push_removed(acc: &mut Acc, rows: bool, item: Item) {
    if rows {
        acc.rows_removed.push(item);
    } else {
        acc.files_removed.push(item);
    }
}

fn field_index(name: &str) -> usize {
    FIELD_ORDER
        .iter()
        .position(|f| *f == name)
        .unwrap_or(FIELD_ORDER.len())
}

/// Nets out a group: a row added and gone again by its end is neither; one removed and added
/// back under the same id (a replaced or moved row) is changed. Runs before the next group's
/// first change is applied, so `state` is as the group left it.
fn finish(mut group: Group, acc: Acc, state: &State) -> Group {
    let item = |id: &OpId| state.items.get(id).cloned().unwrap_or_default();
    let present = |id: &OpId| state.elements.values().any(|obj| obj == id);
    let row_ref = |i: Item| RowRef {
        id: i.key,
        name: i.name,
    };
    let added: Vec<Item> = acc
        .rows_added
        .iter()
        .filter(|id| present(id))
        .map(item)
        .collect();
    let mut removed = Vec::new();
    let mut changed: Vec<Item> = Vec::new();
    for gone in acc.rows_removed {
        match added.iter().find(|a| a.key == gone.key) {
            Some(back) => {
                if !changed.iter().any(|c| c.key == back.key) {
                    changed.push(back.clone());
                }
            }
            None => removed.push(gone),
        }
    }
    let added: Vec<Item> = added
        .into_iter()
        .filter(|a| !changed.iter().any(|c| c.key == a.key))
        .collect();
    for touched in &acc.rows_touched {
        if acc.rows_added.contains(touched) || !present(touched) {
            continue;
        }
        let t = item(touched);
        if !changed.iter().any(|c| c.key == t.key) {
            changed.push(t);
        }
    }
    let files_added: Vec<Item> = acc
        .files_added
        .iter()
        .filter(|id| present(id))
        .map(item)
        .collect();
    let files_removed: Vec<Item> = acc
        .files_removed
        .into_iter()
        .filter(|gone| !files_added.iter().any(|a| a.key == gone.key))
        .collect();
    let mut fields: Vec<String> = acc
        .fields
        .iter()
        .filter_map(|&i| FIELD_ORDER.get(i).map(|f| f.to_string()))
        .collect();
    fields.extend(acc.extra_fields);
    group.changes = VersionChanges {
        created: acc.created,
        fields,
        ingredients_added: added.into_iter().map(row_ref).collect(),
        ingredients_removed: removed.into_iter().map(row_ref).collect(),
        ingredients_changed: changed.into_iter().map(row_ref).collect(),
        steps: acc.steps.filter(|e| e.inserted + e.deleted > 0),
        notes: acc.notes.filter(|e| e.inserted + e.deleted > 0),
        attachments_added: files_added.into_iter().map(|i| i.name).collect(),
        attachments_removed: files_removed.into_iter().map(|i| i.name).collect(),
        deleted: acc.deleted,
        undeleted: acc.undeleted,
        restored_from: acc.restored_from,
    };
    group
}
