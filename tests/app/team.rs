use diesel::prelude::*;
use tollgate::schema::{memberships, users, workspaces};

use crate::common::*;

fn role_of(app: &TestApp, workspace_id: i64, email: &str) -> Option<String> {
    app.with_db(|conn| {
        memberships::table
            .inner_join(users::table)
            .filter(memberships::workspace_id.eq(workspace_id))
            .filter(users::email.eq(email))
            .select(memberships::role)
            .first(conn)
            .optional()
            .unwrap()
    })
}

fn user_id(app: &TestApp, email: &str) -> i64 {
    app.with_db(|conn| users::table.filter(users::email.eq(email)).select(users::id).first(conn).unwrap())
}

/// An owner on Starter (3 seats) with an admin and a member, each in their own browser.
struct Team {
    owner: TestApp,
    admin: TestApp,
    member: TestApp,
    workspace_id: i64,
}

async fn team() -> Team {
    let owner = spawn_app().await;
    let workspace_id = owner.signup("owner@example.com").await;
    owner.set_plan(workspace_id, "starter");
    let admin = owner.new_browser();
    admin.signup("admin@example.com").await;
    let member = owner.new_browser();
    member.signup("member@example.com").await;
    let settings = format!("/w/{workspace_id}/settings");
    let members = format!("/w/{workspace_id}/members");
    for (email, role) in [("admin@example.com", "admin"), ("member@example.com", "member")] {
        let res = owner.post_form(&settings, &members, &[("email", email), ("role", role)]).await;
        assert_eq!(res.status().as_u16(), 303);
        assert_eq!(role_of(&owner, workspace_id, email).as_deref(), Some(role));
    }
    Team { owner, admin, member, workspace_id }
}

#[actix_web::test]
async fn owners_and_admins_manage_members_and_members_cannot() {
    let t = team().await;
    let settings = format!("/w/{}/settings", t.workspace_id);
    let member_id = user_id(&t.owner, "member@example.com");

    // The member sees the team but cannot change it.
    let (status, html) = t.member.get_html(&settings).await;
    assert_eq!(status, 200);
    assert_eq!(select_all(&html, "tr[data-member]").len(), 3);
    let res = t
        .member
        .post_form(&settings, &format!("/w/{}/members/{member_id}/role", t.workspace_id), &[("role", "admin")])
        .await;
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(role_of(&t.owner, t.workspace_id, "member@example.com").as_deref(), Some("member"));
    let res = t.member.post_form(&settings, &settings, &[("name", "Mine now")]).await;
    assert_eq!(res.status().as_u16(), 403);

    // The admin may promote to admin, but not to owner.
    let role_url = format!("/w/{}/members/{member_id}/role", t.workspace_id);
    let res = t.admin.post_form(&settings, &role_url, &[("role", "owner")]).await;
    assert_eq!(res.status().as_u16(), 403);
    let res = t.admin.post_form(&settings, &role_url, &[("role", "admin")]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(role_of(&t.owner, t.workspace_id, "member@example.com").as_deref(), Some("admin"));

    // An admin cannot remove the owner; the owner can remove anyone else.
    let owner_id = user_id(&t.owner, "owner@example.com");
    let res = t.admin.post_form(&settings, &format!("/w/{}/members/{owner_id}/remove", t.workspace_id), &[]).await;
    assert_eq!(res.status().as_u16(), 403);
    let res = t.owner.post_form(&settings, &format!("/w/{}/members/{member_id}/remove", t.workspace_id), &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(role_of(&t.owner, t.workspace_id, "member@example.com"), None);
    // …who then loses access entirely.
    assert_eq!(t.member.get(&settings).await.status().as_u16(), 404);
}

#[actix_web::test]
async fn the_last_owner_can_be_neither_demoted_nor_removed() {
    let t = team().await;
    let settings = format!("/w/{}/settings", t.workspace_id);
    let owner_id = user_id(&t.owner, "owner@example.com");
    let res = t
        .owner
        .post_form(&settings, &format!("/w/{}/members/{owner_id}/role", t.workspace_id), &[("role", "admin")])
        .await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, html) = t.owner.get_html(&settings).await;
    assert!(select_all(&html, ".notice-error")[0].contains("at least one owner"));
    let res = t.owner.post_form(&settings, &format!("/w/{}/members/{owner_id}/remove", t.workspace_id), &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(role_of(&t.owner, t.workspace_id, "owner@example.com").as_deref(), Some("owner"));

    // With a second owner, the first may step down.
    let admin_id = user_id(&t.owner, "admin@example.com");
    t.owner.post_form(&settings, &format!("/w/{}/members/{admin_id}/role", t.workspace_id), &[("role", "owner")]).await;
    assert_eq!(role_of(&t.owner, t.workspace_id, "admin@example.com").as_deref(), Some("owner"));
    t.owner
        .post_form(&settings, &format!("/w/{}/members/{owner_id}/role", t.workspace_id), &[("role", "member")])
        .await;
    assert_eq!(role_of(&t.owner, t.workspace_id, "owner@example.com").as_deref(), Some("member"));
}

#[actix_web::test]
async fn seat_limits_and_unknown_people_are_explained() {
    let t = team().await;
    let settings = format!("/w/{}/settings", t.workspace_id);
    let members = format!("/w/{}/members", t.workspace_id);
    t.owner.new_browser().signup("fourth@example.com").await;
    t.owner.post_form(&settings, &members, &[("email", "fourth@example.com"), ("role", "member")]).await;
    let (_, html) = t.owner.get_html(&settings).await;
    assert!(select_all(&html, ".notice-error")[0].contains("3 seat(s)"), "Starter has 3 seats");
    assert_eq!(role_of(&t.owner, t.workspace_id, "fourth@example.com"), None);

    t.owner.post_form(&settings, &members, &[("email", "ghost@example.com"), ("role", "member")]).await;
    let (_, html) = t.owner.get_html(&settings).await;
    assert!(select_all(&html, ".notice-error")[0].contains("no Tollgate account"));

    let res = t.owner.post_form(&settings, &members, &[("email", "fourth@example.com"), ("role", "emperor")]).await;
    assert_eq!(res.status().as_u16(), 422);
}

#[actix_web::test]
async fn other_peoples_workspaces_are_404_everywhere() {
    let app = spawn_app().await;
    let theirs = app.signup("alice@example.com").await;
    let intruder = app.new_browser();
    let mine = intruder.signup("mallory@example.com").await;
    for path in ["billing", "settings"] {
        assert_eq!(intruder.get(&format!("/w/{theirs}/{path}")).await.status().as_u16(), 404);
        assert_eq!(
            intruder.get(&format!("/w/999999/{path}")).await.status().as_u16(),
            404,
            "unknown ids look the same"
        );
        assert_eq!(intruder.get(&format!("/w/not-a-number/{path}")).await.status().as_u16(), 404);
    }
    let res = intruder
        .post_form(
            &format!("/w/{mine}/settings"),
            &format!("/w/{theirs}/members"),
            &[("email", "mallory@example.com"), ("role", "owner")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 404);
    let res = intruder
        .post_form(&format!("/w/{mine}/settings"), &format!("/w/{theirs}/settings"), &[("name", "pwned")])
        .await;
    assert_eq!(res.status().as_u16(), 404);
    let name: String = app.with_db(|conn| workspaces::table.find(theirs).select(workspaces::name).first(conn).unwrap());
    assert_eq!(name, "alice's workspace");
}

#[actix_web::test]
async fn owners_rename_the_workspace() {
    let app = spawn_app().await;
    let id = app.signup("ren@example.com").await;
    let settings = format!("/w/{id}/settings");
    let res = app.post_form(&settings, &settings, &[("name", "  Acme Corp  ")]).await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, html) = app.get_html(&settings).await;
    assert_eq!(select_all(&html, ".notice-success"), ["Workspace renamed to \u{201c}Acme Corp\u{201d}."]);
    app.post_form(&settings, &settings, &[("name", "   ")]).await;
    let name: String = app.with_db(|conn| workspaces::table.find(id).select(workspaces::name).first(conn).unwrap());
    assert_eq!(name, "Acme Corp");
}
