use crate::common::*;

fn cta(html: &str, plan: &str) -> Vec<String> {
    select_all(
        html,
        &format!(
            "article[data-plan={plan}] .cta a, article[data-plan={plan}] .cta button, article[data-plan={plan}] .cta .badge, article[data-plan={plan}] .cta span"
        ),
    )
}

#[actix_web::test]
async fn anonymous_visitors_are_invited_to_sign_up() {
    let app = spawn_app().await;
    let res = app.get("/pricing").await;
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers().get("set-cookie").is_none(), "browsing pricing sets no cookie");
    let html = res.text().await.unwrap();
    assert_eq!(select_attr(&html, "article[data-plan]", "data-plan"), ["free", "starter", "pro", "enterprise"]);
    for plan in ["free", "starter", "pro"] {
        assert_eq!(cta(&html, plan), ["Sign up"], "{plan}");
        assert_eq!(select_attr(&html, &format!("article[data-plan={plan}] .cta a"), "href"), ["/signup?next=/pricing"]);
    }
    assert_eq!(cta(&html, "enterprise"), ["Contact sales"]);
    assert_eq!(select_all(&html, "article[data-plan=pro] .price"), ["$50 / month"]);
    assert!(select_all(&html, "article[data-plan=pro] .features li").contains(&"14-day free trial".to_owned()));
    assert!(select_all(&html, "article[data-plan=pro] .features li").contains(&"5,000 credits / month".to_owned()));
    assert!(select_all(&html, "article[data-plan=pro] .features li").contains(&"API access".to_owned()));

    let (_, html) = app.get_html("/pricing?interval=year").await;
    assert_eq!(select_all(&html, "article[data-plan=starter] .price"), ["$200 / year"]);
    assert_eq!(select_all(&html, "article[data-plan=starter] .saving"), ["Save 16% yearly"]);
    assert_eq!(select_all(&html, ".toggle a.active"), ["Annual"]);
    let (status, _) = app.get_html("/pricing?interval=fortnight").await;
    assert_eq!(status, 200, "an unknown interval falls back to monthly");
}

#[actix_web::test]
async fn a_free_owner_sees_upgrade_forms_and_their_current_plan() {
    let app = spawn_app().await;
    let workspace_id = app.signup("free@example.com").await;
    let (_, html) = app.get_html("/pricing").await;
    assert_eq!(select_all(&html, "article[data-plan=free] .badge"), ["Current plan"]);
    assert_eq!(select_attr(&html, "article[data-plan=free] .cta a", "href"), [format!("/w/{workspace_id}/billing")]);
    for (plan, label) in [("starter", "Upgrade to Starter"), ("pro", "Start free trial")] {
        let form = format!("article[data-plan={plan}] form");
        assert_eq!(select_attr(&html, &form, "action"), [format!("/w/{workspace_id}/checkout")]);
        assert_eq!(select_attr(&html, &form, "method"), ["post"]);
        assert_eq!(select_attr(&html, &format!("{form} input[name=plan]"), "value"), [plan]);
        assert_eq!(select_attr(&html, &format!("{form} input[name=interval]"), "value"), ["month"]);
        assert_eq!(select_attr(&html, &format!("{form} input[name=csrf_token]"), "value").len(), 1);
        assert_eq!(select_all(&html, &format!("{form} button")), [label]);
    }
    assert_eq!(cta(&html, "enterprise"), ["Contact sales"]);
}

#[actix_web::test]
async fn a_pro_workspace_sees_current_plan_and_plain_members_cannot_upgrade() {
    let app = spawn_app().await;
    let workspace_id = app.signup("pro@example.com").await;
    app.set_plan(workspace_id, "pro");
    let (_, html) = app.get_html("/pricing").await;
    assert_eq!(select_all(&html, "article[data-plan=pro] .badge"), ["Current plan"]);
    assert_eq!(select_all(&html, "article[data-plan=pro] .cta a"), ["Manage billing"]);
    assert_eq!(select_all(&html, "article[data-plan=starter] .cta button"), ["Switch to Starter"]);
    assert_eq!(select_all(&html, "article[data-plan=free] .cta a"), ["Downgrade to Free"]);

    let member = app.new_browser();
    member.signup("member@example.com").await;
    let settings = format!("/w/{workspace_id}/settings");
    app.post_form(
        &settings,
        &format!("/w/{workspace_id}/members"),
        &[("email", "member@example.com"), ("role", "member")],
    )
    .await;
    // The member's own workspace comes first; visiting the team's makes it current.
    member.get(&format!("/w/{workspace_id}/billing")).await;
    let (_, html) = member.get_html("/pricing").await;
    assert_eq!(select_all(&html, "article[data-plan=pro] .badge"), ["Current plan"]);
    assert_eq!(
        select_all(&html, "article[data-plan=starter] .cta span"),
        ["Ask a workspace owner or admin to change plans."]
    );
    assert!(select_all(&html, "article[data-plan=starter] form").is_empty());
}

#[actix_web::test]
async fn home_sends_people_where_they_belong() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    assert_eq!(location(&res), "/pricing");
    let id = app.signup("home@example.com").await;
    let res = app.get("/").await;
    assert_eq!(location(&res), format!("/w/{id}/billing"));
}
