//! Catalog edits from the admin console: visible on `/pricing` at once, audited, archived
//! rather than deleted, and every bad field refused with a 400 naming it and nothing written.

use tollgate::domain::catalog::{Addon, CreditPack, Plan};

use super::*;

/// The Pro plan's form as the edit page fills it, with `changes` applied.
fn pro_form<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("name", "Pro"),
        ("description", "For growing teams"),
        ("currency", "usd"),
        ("price_month_minor", "5000"),
        ("price_year_minor", "50000"),
        ("stripe_price_month", "price_pro_monthly"),
        ("stripe_price_year", "price_pro_yearly"),
        ("trial_days", "14"),
        ("monthly_credits", "5000"),
        ("seats", "10"),
        ("limits", "projects = 50"),
        ("features", "priority_support, analytics, api_access"),
        ("sort_order", "20"),
    ];
    for (name, value) in changes {
        match fields.iter_mut().find(|(n, _)| n == name) {
            Some(field) => field.1 = value,
            None => fields.push((name, value)),
        }
    }
    fields
}

fn plan(app: &TestApp, code: &str) -> Plan {
    app.with_db(|conn| Plan::find_by_code(conn, code).unwrap().unwrap())
}

#[actix_web::test]
async fn a_plan_edit_shows_on_pricing_at_once_and_is_audited() {
    let app = spawn_app().await;
    app.sign_up_admin("boss@example.com").await;
    let visitor = app.new_browser();
    let (_, before) = visitor.get_html("/pricing").await;
    assert_eq!(select_all(&before, "article[data-plan=pro] .price"), ["$50 / month"]);

    let pro = plan(&app, "pro");
    let path = format!("/admin/catalog/plans/{}", pro.id);
    let fields = pro_form(&[("name", "Pro Plus"), ("price_month_minor", "5500"), ("code", "ignored-on-edit")]);
    let res = app.admin_post(&path, &fields).await;
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), path);

    let (_, after) = visitor.get_html("/pricing").await;
    assert_eq!(select_all(&after, "article[data-plan=pro] h2"), ["Pro Plus"]);
    assert_eq!(select_all(&after, "article[data-plan=pro] .price"), ["$55 / month"]);
    let edited = plan(&app, "pro");
    assert_eq!((edited.code.as_str(), edited.price_month_minor), ("pro", Some(5500)), "the code never changes");
    assert_eq!(edited.limits.get("projects"), Some(&50));

    let audit = app.audit();
    assert_eq!(audit.len(), 1);
    let entry = &audit[0];
    assert_eq!(
        (entry.actor.as_str(), entry.action.as_str(), entry.subject_type.as_str()),
        ("boss@example.com", "plan.update", "plan")
    );
    let before: serde_json::Value = serde_json::from_str(entry.before_json.as_deref().unwrap()).unwrap();
    let after: serde_json::Value = serde_json::from_str(entry.after_json.as_deref().unwrap()).unwrap();
    assert_eq!((before["name"].as_str(), after["name"].as_str()), (Some("Pro"), Some("Pro Plus")));
    assert_eq!((before["price_month_minor"].as_i64(), after["price_month_minor"].as_i64()), (Some(5000), Some(5500)));
    let (_, page) = app.get_html(&path).await;
    assert_eq!(select_all(&page, "[data-testid=audit] tbody td code").first().map(String::as_str), Some("plan.update"));
    assert_eq!(select_attr(&page, "input[name=name]", "value"), ["Pro Plus"]);
}

#[actix_web::test]
async fn plans_add_ons_and_packs_are_created_archived_and_restored_never_deleted() {
    let app = spawn_app().await;
    app.sign_up_admin("boss@example.com").await;
    let team = [
        ("code", "team"),
        ("name", "Team"),
        ("price_month_minor", "9900"),
        ("stripe_price_month", "price_team_monthly"),
    ];
    let res = app.admin_post("/admin/catalog/plans", &pro_form(&team)).await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, html) = app.new_browser().get_html("/pricing").await;
    assert!(select_attr(&html, "article[data-plan]", "data-plan").contains(&"team".to_owned()));
    // The same code again is refused.
    let res = app.admin_post("/admin/catalog/plans", &pro_form(&team)).await;
    assert_eq!(res.status().as_u16(), 400);
    assert!(error_message(&res.text().await.unwrap()).contains("code"));

    let starter = plan(&app, "starter");
    let res = app.admin_post(&format!("/admin/catalog/plans/{}/archive", starter.id), &[]).await;
    assert_eq!(res.status().as_u16(), 303);
    let (_, html) = app.new_browser().get_html("/pricing").await;
    assert!(!select_attr(&html, "article[data-plan]", "data-plan").contains(&"starter".to_owned()));
    assert!(!plan(&app, "starter").is_active, "archived, still there");
    app.admin_post(&format!("/admin/catalog/plans/{}/restore", starter.id), &[]).await;
    assert!(plan(&app, "starter").is_active);
    // The default plan stays on sale: new workspaces start on it.
    let free = plan(&app, "free");
    let res = app.admin_post(&format!("/admin/catalog/plans/{}/archive", free.id), &[]).await;
    assert_eq!(res.status().as_u16(), 400);
    assert!(plan(&app, "free").is_active);

    let addon = [
        ("code", "sso"),
        ("name", "SSO"),
        ("currency", "usd"),
        ("price_minor", "2500"),
        ("interval", "month"),
        ("stripe_price", "price_sso"),
    ];
    assert_eq!(app.admin_post("/admin/catalog/addons", &addon).await.status().as_u16(), 303);
    let pack = [
        ("code", "huge"),
        ("name", "Huge"),
        ("currency", "usd"),
        ("price_minor", "9900"),
        ("credits", "10000"),
        ("stripe_price", "price_huge"),
    ];
    assert_eq!(app.admin_post("/admin/catalog/packs", &pack).await.status().as_u16(), 303);
    let (addons, packs) = app.with_db(|conn| (Addon::all(conn).unwrap(), CreditPack::all(conn).unwrap()));
    let sso = addons.iter().find(|a| a.code == "sso").unwrap();
    let huge = packs.iter().find(|p| p.code == "huge").unwrap();
    assert_eq!((sso.price_minor, huge.credits), (2500, 10000));
    app.admin_post(&format!("/admin/catalog/packs/{}/archive", huge.id), &[]).await;
    assert!(!app.with_db(|conn| CreditPack::all(conn).unwrap()).iter().find(|p| p.code == "huge").unwrap().is_active);

    let actions: Vec<String> = app.audit().into_iter().rev().map(|e| e.action).collect();
    assert_eq!(
        actions,
        ["plan.create", "plan.archive", "plan.restore", "addon.create", "credit_pack.create", "credit_pack.archive"]
    );
}

#[actix_web::test]
async fn every_bad_catalog_field_is_a_400_naming_it_and_writes_nothing() {
    let app = spawn_app().await;
    app.sign_up_admin("boss@example.com").await;
    let snapshot = |app: &TestApp| {
        app.with_db(|conn| (Plan::all(conn).unwrap(), Addon::all(conn).unwrap(), CreditPack::all(conn).unwrap()))
    };
    let before = snapshot(&app);
    let pro = plan(&app, "pro");
    let long_name = "x".repeat(81);
    let plan_cases = [
        ("name", ""),
        ("name", long_name.as_str()),
        ("name", "Pro\u{202e}"),
        ("currency", "dollars"),
        ("price_month_minor", "-1"),
        ("price_month_minor", "ten"),
        ("price_year_minor", "99999999999"),
        ("stripe_price_month", "price with spaces"),
        ("trial_days", "366"),
        ("monthly_credits", "-5"),
        ("seats", "0"),
        ("limits", "projects"),
        ("limits", "projects = lots"),
        ("features", "Not A Code"),
        ("sort_order", "1e9"),
    ];
    for (field, value) in plan_cases {
        for path in [format!("/admin/catalog/plans/{}", pro.id), "/admin/catalog/plans".to_owned()] {
            let fields = pro_form(&[("code", "newplan"), (field, value)]);
            let res = app.admin_post(&path, &fields).await;
            assert_eq!(res.status().as_u16(), 400, "{path} {field}={value:?}");
            let message = error_message(&res.text().await.unwrap());
            assert!(message.contains(field), "{field}: {message}");
        }
    }
    let res = app.admin_post("/admin/catalog/plans", &pro_form(&[("code", "Bad Code")])).await;
    assert_eq!(res.status().as_u16(), 400);
    assert!(error_message(&res.text().await.unwrap()).contains("code"));

    let addon = |field: &'static str, value: &'static str| {
        let mut f = vec![
            ("code", "extra"),
            ("name", "Extra"),
            ("currency", "usd"),
            ("price_minor", "100"),
            ("interval", "month"),
        ];
        f.retain(|(n, _)| *n != field);
        f.push((field, value));
        f
    };
    for (field, value) in
        [("price_minor", "0"), ("price_minor", ""), ("interval", "week"), ("currency", "€"), ("code", "")]
    {
        let res = app.admin_post("/admin/catalog/addons", &addon(field, value)).await;
        assert_eq!(res.status().as_u16(), 400, "add-on {field}={value:?}");
        assert!(error_message(&res.text().await.unwrap()).contains(field));
    }
    let pack = |field: &'static str, value: &'static str| {
        let mut f =
            vec![("code", "bag"), ("name", "Bag"), ("currency", "usd"), ("price_minor", "100"), ("credits", "10")];
        f.retain(|(n, _)| *n != field);
        f.push((field, value));
        f
    };
    for (field, value) in [("credits", "0"), ("credits", "9999999999999"), ("price_minor", "-3"), ("name", " ")] {
        for path in ["/admin/catalog/packs", "/admin/catalog/packs/1"] {
            let res = app.admin_post(path, &pack(field, value)).await;
            assert_eq!(res.status().as_u16(), 400, "{path} {field}={value:?}");
            assert!(error_message(&res.text().await.unwrap()).contains(field));
        }
    }
    assert_eq!(snapshot(&app), before, "nothing was written");
    assert!(app.audit().is_empty());
    // An address naming no entry is a 404.
    assert_eq!(app.admin_post("/admin/catalog/plans/9999", &pro_form(&[])).await.status().as_u16(), 404);
    assert_eq!(app.get("/admin/catalog/gadgets/1").await.status().as_u16(), 404);
}
