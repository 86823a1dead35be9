//! The sandbox's tables (diesel definitions). They are the sandbox's alone: the app's
//! `crate::schema` does not know them, and nothing here joins an app table. The migrations that
//! create them live with the app's (`migrations/*/…_sandbox*`), because one migration run
//! prepares the whole database.

diesel::table! {
    sandbox_test_clocks (id) {
        id -> Text,
        name -> Nullable<Text>,
        frozen_time -> Timestamp,
        status -> Text,
        created_at -> Timestamp,
        deletes_after -> Timestamp,
    }
}

diesel::table! {
    sandbox_customers (id) {
        id -> Text,
        email -> Nullable<Text>,
        card -> Nullable<Text>,
        created_at -> Timestamp,
        test_clock_id -> Nullable<Text>,
    }
}

diesel::table! {
    sandbox_checkout_sessions (id) {
        id -> Text,
        mode -> Text,
        status -> Text,
        payment_status -> Text,
        price_id -> Text,
        customer_id -> Nullable<Text>,
        customer_email -> Nullable<Text>,
        customer_creation -> Nullable<Text>,
        client_reference_id -> Nullable<Text>,
        trial_days -> Nullable<Integer>,
        allow_promotion_codes -> Bool,
        metadata_json -> Text,
        subscription_metadata_json -> Text,
        payment_intent_metadata_json -> Text,
        success_url -> Text,
        cancel_url -> Text,
        amount_total -> BigInt,
        currency -> Text,
        subscription_id -> Nullable<Text>,
        invoice_id -> Nullable<Text>,
        payment_intent_id -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sandbox_subscriptions (id) {
        id -> Text,
        customer_id -> Text,
        status -> Text,
        cancel_at_period_end -> Bool,
        canceled_at -> Nullable<Timestamp>,
        ended_at -> Nullable<Timestamp>,
        trial_start -> Nullable<Timestamp>,
        trial_end -> Nullable<Timestamp>,
        metadata_json -> Text,
        latest_invoice_id -> Nullable<Text>,
        pending_price_id -> Nullable<Text>,
        pending_expires_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        cancel_at -> Nullable<Timestamp>,
        schedule_id -> Nullable<Text>,
    }
}

diesel::table! {
    sandbox_subscription_schedules (id) {
        id -> Text,
        customer_id -> Text,
        subscription_id -> Text,
        status -> Text,
        end_behavior -> Text,
        phases_json -> Text,
        current_phase -> Integer,
        metadata_json -> Text,
        created_at -> Timestamp,
        released_at -> Nullable<Timestamp>,
        completed_at -> Nullable<Timestamp>,
        canceled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sandbox_subscription_items (id) {
        id -> Text,
        subscription_id -> Text,
        price_id -> Text,
        product_name -> Text,
        unit_amount -> BigInt,
        currency -> Text,
        billing_interval -> Text,
        current_period_start -> Timestamp,
        current_period_end -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sandbox_invoices (id) {
        id -> Text,
        number -> Text,
        customer_id -> Text,
        subscription_id -> Nullable<Text>,
        subscription_item_id -> Nullable<Text>,
        status -> Text,
        billing_reason -> Text,
        amount_due -> BigInt,
        amount_paid -> BigInt,
        currency -> Text,
        price_id -> Nullable<Text>,
        description -> Text,
        proration -> Bool,
        period_start -> Timestamp,
        period_end -> Timestamp,
        line_period_start -> Timestamp,
        line_period_end -> Timestamp,
        metadata_json -> Text,
        attempt_count -> Integer,
        created_at -> Timestamp,
        paid_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sandbox_events (id) {
        id -> BigInt,
        event_id -> Text,
        event_type -> Text,
        payload -> Text,
        attempts -> Integer,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamp>,
        locked_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sandbox_portal_sessions (id) {
        id -> Text,
        customer_id -> Text,
        return_url -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(sandbox_subscription_items -> sandbox_subscriptions (subscription_id));
diesel::joinable!(sandbox_subscriptions -> sandbox_customers (customer_id));
diesel::joinable!(sandbox_customers -> sandbox_test_clocks (test_clock_id));
diesel::allow_tables_to_appear_in_same_query!(
    sandbox_subscriptions,
    sandbox_subscription_items,
    sandbox_customers,
    sandbox_test_clocks
);

diesel::table! {
    sandbox_products (id) {
        id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        active -> Bool,
        metadata_json -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sandbox_prices (id) {
        id -> Text,
        product_id -> Text,
        unit_amount -> BigInt,
        currency -> Text,
        recurring_interval -> Nullable<Text>,
        nickname -> Nullable<Text>,
        lookup_key -> Nullable<Text>,
        active -> Bool,
        metadata_json -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(sandbox_prices -> sandbox_products (product_id));
diesel::allow_tables_to_appear_in_same_query!(sandbox_prices, sandbox_products);
