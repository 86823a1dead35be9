//! Who may change whom in a workspace. Plain functions over roles and counts, so every
//! rule is tested without a database; the settings handlers call these before writing.

use serde::Serialize;

use super::sql::text_enum_sql;

/// What a member may do in a workspace (stored as `owner` / `admin` / `member`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Member,
    Admin,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "owner" => Some(Role::Owner),
            "admin" => Some(Role::Admin),
            "member" => Some(Role::Member),
            _ => None,
        }
    }

    /// Owners and admins manage members, billing and settings.
    pub fn can_manage(self) -> bool {
        self >= Role::Admin
    }

    pub const ALL: [Role; 3] = [Role::Owner, Role::Admin, Role::Member];
}

text_enum_sql!(Role);

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MemberRuleError {
    #[error("Only owners and admins can manage members.")]
    NotAManager,
    #[error("Only an owner can add, promote, demote or remove an owner.")]
    OwnerOnly,
    #[error("A workspace needs at least one owner. Make someone else an owner first.")]
    LastOwner,
    #[error("That person is already a member of this workspace.")]
    AlreadyMember,
    #[error("Your plan includes {limit} seat(s), all in use. Upgrade to add more members.")]
    SeatLimit { limit: i32 },
}

/// Can `actor` add someone as `role`, with `seats_used` of `seat_limit` taken?
pub fn check_add(actor: Role, role: Role, seats_used: i64, seat_limit: Option<i32>) -> Result<(), MemberRuleError> {
    if !actor.can_manage() {
        return Err(MemberRuleError::NotAManager);
    }
    if role == Role::Owner && actor != Role::Owner {
        return Err(MemberRuleError::OwnerOnly);
    }
    match seat_limit {
        Some(limit) if seats_used >= i64::from(limit) => Err(MemberRuleError::SeatLimit { limit }),
        _ => Ok(()),
    }
}

/// Can `actor` change `target`'s role from `current` to `new`, with `owners` owners now?
pub fn check_role_change(actor: Role, current: Role, new: Role, owners: i64) -> Result<(), MemberRuleError> {
    if !actor.can_manage() {
        return Err(MemberRuleError::NotAManager);
    }
    if (current == Role::Owner || new == Role::Owner) && actor != Role::Owner {
        return Err(MemberRuleError::OwnerOnly);
    }
    if current == Role::Owner && new != Role::Owner && owners <= 1 {
        return Err(MemberRuleError::LastOwner);
    }
    Ok(())
}

/// Can `actor` remove a member whose role is `target`? `is_self` is leaving on one's own.
pub fn check_remove(actor: Role, target: Role, is_self: bool, owners: i64) -> Result<(), MemberRuleError> {
    if !is_self && !actor.can_manage() {
        return Err(MemberRuleError::NotAManager);
    }
    if target == Role::Owner && !is_self && actor != Role::Owner {
        return Err(MemberRuleError::OwnerOnly);
    }
    if target == Role::Owner && owners <= 1 {
        return Err(MemberRuleError::LastOwner);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use MemberRuleError::*;
    use Role::*;

    #[test]
    fn adding_members() {
        assert_eq!(check_add(Member, Member, 1, None), Err(NotAManager));
        assert_eq!(check_add(Admin, Owner, 1, None), Err(OwnerOnly));
        assert_eq!(check_add(Admin, Admin, 1, Some(3)), Ok(()));
        assert_eq!(check_add(Owner, Owner, 1, None), Ok(()));
        assert_eq!(check_add(Owner, Member, 3, Some(3)), Err(SeatLimit { limit: 3 }));
        assert_eq!(check_add(Owner, Member, 1, Some(1)), Err(SeatLimit { limit: 1 }));
    }

    #[test]
    fn changing_roles() {
        assert_eq!(check_role_change(Member, Member, Admin, 1), Err(NotAManager));
        assert_eq!(check_role_change(Admin, Member, Admin, 1), Ok(()));
        assert_eq!(check_role_change(Admin, Member, Owner, 1), Err(OwnerOnly));
        assert_eq!(check_role_change(Admin, Owner, Member, 2), Err(OwnerOnly));
        assert_eq!(check_role_change(Owner, Owner, Admin, 1), Err(LastOwner));
        assert_eq!(check_role_change(Owner, Owner, Admin, 2), Ok(()));
        assert_eq!(check_role_change(Owner, Member, Owner, 1), Ok(()));
        assert_eq!(check_role_change(Owner, Owner, Owner, 1), Ok(()));
    }

    #[test]
    fn removing_members() {
        assert_eq!(check_remove(Member, Member, false, 1), Err(NotAManager));
        assert_eq!(check_remove(Member, Member, true, 1), Ok(()));
        assert_eq!(check_remove(Admin, Member, false, 1), Ok(()));
        assert_eq!(check_remove(Admin, Owner, false, 2), Err(OwnerOnly));
        assert_eq!(check_remove(Owner, Owner, true, 1), Err(LastOwner));
        assert_eq!(check_remove(Owner, Owner, false, 1), Err(LastOwner));
        assert_eq!(check_remove(Owner, Owner, false, 2), Ok(()));
    }
}
