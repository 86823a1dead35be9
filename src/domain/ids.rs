//! Newtype ids: each table's id is its own type, parsed once at the boundary (a path
//! segment, a webhook's metadata) and carried typed from there on.

use super::sql::id_newtype;

id_newtype!(
    /// A workspace: the unit that owns a plan, a subscription, credits and a team.
    WorkspaceId
);
id_newtype!(
    /// A person who signs in.
    UserId
);
id_newtype!(
    /// A plan in the catalog.
    PlanId
);
id_newtype!(
    /// An add-on in the catalog.
    AddonId
);
id_newtype!(
    /// A credit pack in the catalog.
    CreditPackId
);
