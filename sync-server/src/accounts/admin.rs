//! User administration, as used by `larder-server user …`: validation of names and passwords,
//! and add / list / passwd / disable / enable / remove on a [`RelayStore`]. There is no
//! self sign-up: this is the only way users come to exist. Households (`larder-server
//! household …`): create / add / remove / list.

use crate::accounts::auth::Passwords;
use crate::blobs::BlobFiles;
use crate::clock::UnixMs;
use crate::store::{Household, HouseholdId, RelayStore, StoreError, User, UserId};

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_BYTES: usize = 4096;
pub use super::names::MAX_NAME_CHARS;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(
        "invalid user name {0:?}: use 1 to 64 characters, ASCII letters, digits, '.', '_' or '-'"
    )]
    InvalidName(String),
    #[error("password too short: use at least {MIN_PASSWORD_CHARS} characters")]
    PasswordTooShort,
    #[error("password too long: at most {MAX_PASSWORD_BYTES} bytes")]
    PasswordTooLong,
    #[error("user {0} already exists")]
    NameTaken(String),
    #[error("user {0} does not exist")]
    NoSuchUser(String),
    #[error(
        "invalid household name {0:?}: use 1 to 64 characters, ASCII letters, digits, '.', '_' or '-'"
    )]
    InvalidHouseholdName(String),
    #[error("household {0} already exists")]
    HouseholdNameTaken(String),
    #[error("household {0} does not exist")]
    NoSuchHousehold(String),
    #[error("user {user} is already a member of household {household}")]
    AlreadyMember { user: String, household: String },
    #[error("user {user} is already in another household ({household}); a user is in at most one")]
    InAnotherHousehold { user: String, household: String },
    #[error("user {user} is not a member of household {household}")]
    NotAMember { user: String, household: String },
    #[error(transparent)]
    Hash(#[from] crate::accounts::auth::AuthError),
    #[error(transparent)]
    Store(StoreError),
    #[error("could not delete an attached file's bytes: {0}")]
    Files(#[source] std::io::Error),
}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NameTaken(name) => AdminError::NameTaken(name),
            StoreError::HouseholdNameTaken(name) => AdminError::HouseholdNameTaken(name),
            StoreError::AlreadyMember { user, household } => {
                AdminError::AlreadyMember { user, household }
            }
            StoreError::NotAMember { user, household } => {
                AdminError::NotAMember { user, household }
            }
            e => AdminError::Store(e),
        }
    }
}

/// A valid user name (see [`super::names`]), or [`AdminError::InvalidName`].
pub fn validate_name(name: &str) -> Result<(), AdminError> {
    if super::names::is_valid_name(name) {
        Ok(())
    } else {
        Err(AdminError::InvalidName(name.to_owned()))
    }
}

/// At least 8 characters (and at most 4 KiB).
pub fn validate_password(password: &str) -> Result<(), AdminError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AdminError::PasswordTooShort);
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AdminError::PasswordTooLong);
    }
    Ok(())
}

fn find(store: &dyn RelayStore, name: &str) -> Result<User, AdminError> {
    store
        .user_by_name(name)?
        .ok_or_else(|| AdminError::NoSuchUser(name.to_owned()))
}

/// Creates a user; the name is unique case-insensitively.
pub fn add_user(
    store: &dyn RelayStore,
    passwords: &Passwords,
    name: &str,
    password: &str,
    now: UnixMs,
) -> Result<User, AdminError> {
    validate_name(name)?;
    validate_password(password)?;
    if store.user_by_name(name)?.is_some() {
        return Err(AdminError::NameTaken(name.to_owned()));
    }
    let user = User {
        id: UserId::random(),
        name: name.to_owned(),
        password_hash: passwords.hash(password)?,
        disabled: false,
        created_at: now,
        grocery_list_id: None,
        meal_plan_id: None,
    };
    store.create_user(&user)?;
    Ok(user)
}

pub fn list_users(store: &dyn RelayStore) -> Result<Vec<User>, AdminError> {
    Ok(store.list_users()?)
}

/// Sets a new password. Unless `keep_sessions`, the user's sessions are revoked too (every
/// device signs in again); returns how many were.
pub fn set_password(
    store: &dyn RelayStore,
    passwords: &Passwords,
    name: &str,
    password: &str,
    keep_sessions: bool,
) -> Result<usize, AdminError> {
    let user = find(store, name)?;
    validate_password(password)?;
    store.set_password_hash(&user.id, &passwords.hash(password)?)?;
    if keep_sessions {
        Ok(0)
    } else {
        Ok(store.revoke_user_sessions(&user.id)?)
    }
}

/// Disables a user and revokes their sessions; returns how many sessions went.
pub fn disable_user(store: &dyn RelayStore, name: &str) -> Result<usize, AdminError> {
    let user = find(store, name)?;
    Ok(store.set_disabled(&user.id, true)?)
}

pub fn enable_user(store: &dyn RelayStore, name: &str) -> Result<(), AdminError> {
    let user = find(store, name)?;
    store.set_disabled(&user.id, false)?;
    Ok(())
}

/// What `user remove` removed.
#[derive(Debug)]
pub struct Removed {
    pub user: User,
    pub sessions: usize,
    pub documents: usize,
    /// Attached files whose bytes went (files other users hold too stay).
    pub files: usize,
}

/// Removes a user and everything the relay keeps for them: sessions, grocery API tokens, the
/// calendar feed's token, documents (chunks, ownership, change feed), the grocery hook's
/// record of their list, and the bytes of files nobody else holds. The user is disabled first
/// (no sign-in, no sync from then on); `let_go` runs next, before anything of theirs is
/// deleted: a running relay closes their connections and stops their repo there. The account
/// itself goes last, so a removal cut short (a crash, a full disk) is finished by running it
/// again.
pub fn remove_user(
    store: &dyn RelayStore,
    files: &BlobFiles,
    name: &str,
    let_go: &dyn Fn(&UserId),
) -> Result<Removed, AdminError> {
    let user = find(store, name)?;
    let mut sessions = store.set_disabled(&user.id, true)?;
    let_go(&user.id);
    // Their household's documents stay the household's; only the membership goes.
    if let Some(household) = store.household_of(&user.id)? {
        store.remove_member(&household.id, &user.id)?;
    }
    let documents = store.remove_user_documents(&user.id)?;
    if let Some(list) = &user.grocery_list_id {
        store.grocery_forget(list)?;
    }
    // Bytes before grants: a run cut short in between still knows the files on the next run.
    let mut removed_files = 0;
    for hash in store.blobs_held_only_by(&user.id)? {
        if files.remove(&hash).map_err(AdminError::Files)? {
            removed_files += 1;
        }
    }
    store.remove_user_blobs(&user.id)?;
    for token in store.list_api_tokens(&user.id)? {
        store.revoke_api_token(&user.id, &token.id)?;
    }
    store.revoke_calendar_token(&user.id)?;
    sessions += store.remove_user(&user.id)?;
    Ok(Removed {
        user,
        sessions,
        documents,
        files: removed_files,
    })
}

fn find_household(store: &dyn RelayStore, name: &str) -> Result<Household, AdminError> {
    store
        .household_by_name(name)?
        .ok_or_else(|| AdminError::NoSuchHousehold(name.to_owned()))
}

/// Creates a household with no members; the name follows the rules of user names and is
/// unique case-insensitively among households.
pub fn create_household(
    store: &dyn RelayStore,
    name: &str,
    now: UnixMs,
) -> Result<Household, AdminError> {
    if !super::names::is_valid_name(name) {
        return Err(AdminError::InvalidHouseholdName(name.to_owned()));
    }
    if store.household_by_name(name)?.is_some() {
        return Err(AdminError::HouseholdNameTaken(name.to_owned()));
    }
    let household = Household {
        id: HouseholdId::random(),
        name: name.to_owned(),
        created_at: now,
        members: Vec::new(),
        grocery_list_id: None,
        meal_plan_id: None,
        webhook: None,
    };
    store.create_household(&household)?;
    Ok(household)
}

/// Adds user `user` to household `household` (a user is in at most one); returns both.
pub fn add_member(
    store: &dyn RelayStore,
    household: &str,
    user: &str,
) -> Result<(Household, User), AdminError> {
    let h = find_household(store, household)?;
    let u = find(store, user)?;
    match store.add_member(&h.id, &u.id) {
        Ok(h) => Ok((h, u)),
        Err(StoreError::InAnotherHousehold { user }) => {
            let other = store
                .household_of(&u.id)?
                .map_or_else(|| "?".to_owned(), |h| h.name);
            Err(AdminError::InAnotherHousehold {
                user,
                household: other,
            })
        }
        Err(StoreError::NoSuchHousehold(_)) => Err(AdminError::NoSuchHousehold(h.name)),
        Err(StoreError::NoSuchUser(_)) => Err(AdminError::NoSuchUser(u.name)),
        Err(e) => Err(e.into()),
    }
}

/// Ends user `user`'s membership of household `household`; returns both.
pub fn remove_member(
    store: &dyn RelayStore,
    household: &str,
    user: &str,
) -> Result<(Household, User), AdminError> {
    let h = find_household(store, household)?;
    let u = find(store, user)?;
    match store.remove_member(&h.id, &u.id) {
        Ok(h) => Ok((h, u)),
        Err(StoreError::NotAMember { .. }) => Err(AdminError::NotAMember {
            user: u.name,
            household: h.name,
        }),
        Err(StoreError::NoSuchHousehold(_)) => Err(AdminError::NoSuchHousehold(h.name)),
        Err(e) => Err(e.into()),
    }
}

/// Every household with its members' names (ordered by name).
pub fn list_households(
    store: &dyn RelayStore,
) -> Result<Vec<(Household, Vec<String>)>, AdminError> {
    let mut out = Vec::new();
    for h in store.list_households()? {
        let mut names = Vec::with_capacity(h.members.len());
        for id in &h.members {
            if let Some(u) = store.user(id)? {
                names.push(u.name);
            }
        }
        names.sort_by_key(|n| crate::store::name_key(n));
        out.push((h, names));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["a", "Alice", "bob.smith", "x_y-z", &"n".repeat(64)] {
            validate_name(ok).unwrap();
        }
        for bad in ["", "has space", "ünï", "a/b", &"n".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords() {
        assert!(matches!(
            validate_password("1234567"),
            Err(AdminError::PasswordTooShort)
        ));
        validate_password("12345678").unwrap();
        // Characters, not bytes.
        assert!(validate_password("ééééééé").is_err());
        validate_password("éééééééé").unwrap();
    }
}
