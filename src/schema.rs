//! Table definitions shared by both backends. Written by hand (not `diesel print-schema`)
//! because the two migration folders must map onto one portable set of SQL types:
//! ids are `BigInt`, money is `BigInt` minor units, timestamps are UTC `Timestamp`s.

diesel::table! {
    plans (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        description -> Text,
        currency -> Text,
        price_month_minor -> Nullable<BigInt>,
        price_year_minor -> Nullable<BigInt>,
        stripe_price_month -> Nullable<Text>,
        stripe_price_year -> Nullable<Text>,
        chargebee_item_price_month -> Nullable<Text>,
        chargebee_item_price_year -> Nullable<Text>,
        trial_days -> Integer,
        monthly_credits -> Nullable<BigInt>,
        seat_limit -> Nullable<Integer>,
        limits_json -> Text,
        features_json -> Text,
        sort_order -> Integer,
        is_active -> Bool,
        is_default -> Bool,
        contact_sales -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        password_hash -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    workspaces (id) {
        id -> BigInt,
        name -> Text,
        plan_id -> BigInt,
        billing_provider -> Nullable<Text>,
        provider_customer_id -> Nullable<Text>,
        provider_subscription_id -> Nullable<Text>,
        subscription_status -> Nullable<Text>,
        billing_interval -> Nullable<Text>,
        current_period_end -> Nullable<Timestamp>,
        cancel_at_period_end -> Bool,
        trial_end -> Nullable<Timestamp>,
        had_trial -> Bool,
        grace_until -> Nullable<Timestamp>,
        upgraded_at -> Nullable<Timestamp>,
        scheduled_plan_id -> Nullable<BigInt>,
        subscription_state_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        cancel_at -> Nullable<Timestamp>,
        scheduled_interval -> Nullable<Text>,
        past_due_since -> Nullable<Timestamp>,
        past_due_invoice_id -> Nullable<Text>,
        last_paid_at -> Nullable<Timestamp>,
        billing_version -> BigInt,
    }
}

diesel::table! {
    memberships (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        user_id -> BigInt,
        role -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    addons (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        description -> Text,
        currency -> Text,
        price_minor -> BigInt,
        billing_interval -> Text,
        stripe_price -> Nullable<Text>,
        chargebee_item_price -> Nullable<Text>,
        sort_order -> Integer,
        is_active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    workspace_addons (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        addon_id -> BigInt,
        status -> Text,
        provider_subscription_id -> Nullable<Text>,
        checkout_id -> Nullable<Text>,
        current_period_end -> Nullable<Timestamp>,
        cancel_at_period_end -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        addon_price_id -> Nullable<Text>,
        state_at -> Nullable<Timestamp>,
        grace_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    credit_packs (id) {
        id -> BigInt,
        code -> Text,
        name -> Text,
        credits -> BigInt,
        currency -> Text,
        price_minor -> BigInt,
        stripe_price -> Nullable<Text>,
        chargebee_item_price -> Nullable<Text>,
        sort_order -> Integer,
        is_active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    credit_ledger (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        bucket -> Text,
        delta -> BigInt,
        reason -> Text,
        idempotency_key -> Nullable<Text>,
        reference -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    invoices (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        provider -> Text,
        provider_invoice_id -> Text,
        number -> Nullable<Text>,
        status -> Text,
        amount_due_minor -> BigInt,
        amount_paid_minor -> BigInt,
        currency -> Text,
        hosted_url -> Nullable<Text>,
        pdf_url -> Nullable<Text>,
        period_start -> Nullable<Timestamp>,
        period_end -> Nullable<Timestamp>,
        issued_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        state_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    billing_events (id) {
        id -> BigInt,
        provider -> Text,
        event_id -> Text,
        event_type -> Text,
        status -> Text,
        workspace_id -> Nullable<BigInt>,
        provider_created_at -> Nullable<Timestamp>,
        received_at -> Timestamp,
        processed_at -> Nullable<Timestamp>,
        next_attempt_at -> Nullable<Timestamp>,
        error -> Nullable<Text>,
        attempts -> Integer,
        payload -> Text,
    }
}

diesel::table! {
    capacity_snapshots (id) {
        id -> BigInt,
        taken_at -> Timestamp,
        users_total -> BigInt,
        workspaces_total -> BigInt,
        paying_workspaces -> BigInt,
        mrr_minor -> BigInt,
        credits_outstanding -> BigInt,
        events_last_day -> BigInt,
        events_failed -> BigInt,
        by_status -> Text,
        by_plan -> Text,
        past_due_workspaces -> BigInt,
        seats_used -> BigInt,
        seats_limit -> BigInt,
        credits_granted -> BigInt,
        credits_spent -> BigInt,
        quota_used -> BigInt,
        quota_limit -> BigInt,
        database_bytes -> BigInt,
    }
}

diesel::table! {
    app_secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    checkout_sessions (id) {
        id -> BigInt,
        provider -> Text,
        checkout_id -> Text,
        workspace_id -> BigInt,
        purchase -> Text,
        code -> Text,
        billing_interval -> Nullable<Text>,
        amount_minor -> Nullable<BigInt>,
        currency -> Nullable<Text>,
        customer_id -> Nullable<Text>,
        subscription_id -> Nullable<Text>,
        created_at -> Timestamp,
        fulfilled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    jobs (name) {
        name -> Text,
        next_run_at -> Timestamp,
        claimed_by -> Nullable<Text>,
        claimed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    job_runs (id) {
        id -> BigInt,
        job -> Text,
        run_by -> Text,
        instance -> Text,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        outcome -> Text,
        changes -> BigInt,
        message -> Text,
    }
}

diesel::table! {
    admin_api_keys (id) {
        id -> BigInt,
        user_id -> BigInt,
        prefix -> Text,
        key_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    ended_subscriptions (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        subscription_id -> Text,
        ended_at -> Timestamp,
    }
}

diesel::table! {
    instance_admins (user_id) {
        user_id -> BigInt,
        granted_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        actor -> Text,
        actor_user_id -> Nullable<BigInt>,
        action -> Text,
        subject_type -> Text,
        subject_id -> Text,
        workspace_id -> Nullable<BigInt>,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        reason -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    rate_limit_hits (bucket) {
        bucket -> Text,
        hits -> BigInt,
        window_ends_at -> Timestamp,
    }
}

diesel::table! {
    user_sessions (token_hash) {
        token_hash -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    credit_balances (workspace_id) {
        workspace_id -> BigInt,
        monthly -> BigInt,
        purchased -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    credit_spends (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        idempotency_key -> Text,
        amount -> BigInt,
        reason -> Text,
        from_monthly -> BigInt,
        from_purchased -> BigInt,
        status -> Integer,
        answer -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    usage_records (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        metric -> Text,
        quantity -> BigInt,
        period_key -> Text,
        idempotency_key -> Text,
        status -> Integer,
        answer -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_keys (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        name -> Text,
        prefix -> Text,
        key_hash -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    catalog_versions (id) {
        id -> BigInt,
        epoch -> Text,
        version -> BigInt,
    }
}

diesel::table! {
    plan_changes (id) {
        id -> BigInt,
        workspace_id -> BigInt,
        from_plan_id -> BigInt,
        to_plan_id -> BigInt,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        kind -> Text,
        changed_at -> Timestamp,
    }
}

diesel::joinable!(workspaces -> plans (plan_id));
diesel::joinable!(api_keys -> workspaces (workspace_id));
diesel::joinable!(instance_admins -> users (user_id));
diesel::joinable!(admin_api_keys -> users (user_id));
diesel::joinable!(user_sessions -> users (user_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(memberships -> workspaces (workspace_id));
diesel::joinable!(workspace_addons -> addons (addon_id));
diesel::joinable!(workspace_addons -> workspaces (workspace_id));
diesel::joinable!(credit_ledger -> workspaces (workspace_id));
diesel::joinable!(invoices -> workspaces (workspace_id));

diesel::allow_tables_to_appear_in_same_query!(
    plans,
    users,
    workspaces,
    memberships,
    addons,
    workspace_addons,
    credit_packs,
    credit_ledger,
    invoices,
    billing_events,
    capacity_snapshots,
    app_secrets,
    checkout_sessions,
    jobs,
    job_runs,
    admin_api_keys,
    ended_subscriptions,
    instance_admins,
    audit_log,
    rate_limit_hits,
    user_sessions,
    catalog_versions,
    credit_balances,
    credit_spends,
    usage_records,
    api_keys,
    plan_changes,
);
