//! `GET /openapi.json`: the API described as OpenAPI 3.1.

use axum::Json;
use serde_json::{Value, json};

fn view_path(summary: &str, extra: &[(&str, &str)]) -> Value {
    let mut params = vec![
        json!({"name": "period", "in": "query", "schema": {"type": "string"}, "description": "A quarter (2026-27-Q1) or financial year (2026-27); default the latest quarter with releases."}),
        json!({"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "csv", "xlsx"]}, "description": "json (default), csv or xlsx."}),
        json!({"name": "tree_size", "in": "query", "schema": {"type": "integer", "minimum": 0}, "description": "The figures as computed from the transparency log's first tree_size entries, as an answer stating that tree_size gave them (to reproduce a published figure); default all of them."}),
        json!({"name": "table", "in": "query", "schema": {"type": "integer", "minimum": 0}, "description": "With format=csv: which table of the view, as shown; without it, CSV is the view's figures as one long table (period, area_code, area_name, area_type, measure, measure_label, unit, estimate, lower, upper, councils_included, councils_in_group, too_wide, status)."}),
    ];
    for (name, description) in extra {
        params.push(json!({"name": name, "in": "query", "schema": {"type": "string"}, "description": description}));
    }
    json!({"get": {
        "summary": summary,
        "security": [{"bearer": []}],
        "parameters": params,
        "responses": {
            "200": {"description": "The view: its tables, and the log size they were computed from.", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/View"}},
                "text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}},
            "401": {"$ref": "#/components/responses/Problem"},
            "403": {"$ref": "#/components/responses/Problem"},
            "404": {"$ref": "#/components/responses/Problem"}
        }
    }})
}

/// A view of the open-data API: the same view, with no sign-in, for published quarters only.
fn open_path(summary: &str, extra: &[(&str, &str)]) -> Value {
    let mut v = view_path(
        &format!("{summary} Open data: no sign-in; published quarters only (default: the latest published)."),
        extra,
    );
    if let Some(get) = v.get_mut("get").and_then(Value::as_object_mut) {
        get.remove("security");
        if let Some(r) = get.get_mut("responses").and_then(Value::as_object_mut) {
            r.remove("401");
        }
    }
    v
}

/// The OpenAPI document.
pub(super) async fn document() -> Json<Value> {
    let group = (
        "group",
        "england, region:<slug>, type:<slug>, team_model:<code>, msp_level:<code>, council:<code> or peers:<code>",
    );
    let measure = (
        "measure",
        "A headline measure id: asked, expressed, fully, partially, not_achieved, fully_or_partially, risk_reduced_or_removed, capacity_supported, repeat, felt_safer, listened_to, mean_days, mean_meetings, mean_multiagency_meetings, mean_staff_hours.",
    );
    let sort = ("sort", "name (default) or estimate (highest first).");
    Json(json!({
        "openapi": "3.1.0",
        "info": {
            "title": "MSP Outcomes Network coordinator",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Signed submissions of councils' differentially private releases, the transparency log, and benchmarks with 95% intervals. Errors are RFC 9457 problem documents; each type is explained at /problems/<type>."
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "A token from `msp-coordinator token create`; the dashboard's session cookie works too."}},
            "responses": {"Problem": {"description": "An RFC 9457 problem document.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}},
            "schemas": {
                "SignedPolicy": {"type": "object", "required": ["policy", "policy_jws"], "additionalProperties": false, "properties": {
                    "policy": {"type": "object", "description": "msp-policy/1 (schemas/json/msp-policy-1.schema.json)."},
                    "policy_jws": {"type": "string", "description": "The policy's exact JSON as a compact JWS signed by the coordinator."}}},
                "Problem": {"type": "object", "required": ["type", "title", "status", "detail"], "properties": {
                    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"}}},
                "View": {"type": "object", "properties": {
                    "title": {"type": "string"}, "window": {"type": ["string", "null"]}, "tree_size": {"type": "integer"},
                    "tables": {"type": "array", "items": {"type": "object", "properties": {
                        "id": {"type": "string"}, "caption": {"type": "string"},
                        "columns": {"type": "array", "items": {"type": "object", "properties": {"heading": {"type": "string"}}}},
                        "rows": {"type": "array", "items": {"type": "array", "items": {}}},
                        "notes": {"type": "array", "items": {"type": "string"}}}}},
                    "data": {"type": "array", "description": "The view's figures as one long table, as format=csv gives it.", "items": {"type": "object", "properties": {
                        "period": {"type": "string"}, "area_code": {"type": "string", "description": "ONS code (England E92000001, regions E12…, councils) or the group id"},
                        "area_name": {"type": "string"}, "area_type": {"type": "string"}, "measure": {"type": "string"}, "measure_label": {"type": "string"},
                        "unit": {"type": "string", "enum": ["percent", "days", "meetings", "hours"]},
                        "estimate": {"type": ["number", "null"]}, "lower": {"type": ["number", "null"]}, "upper": {"type": ["number", "null"]},
                        "councils_included": {"type": "integer"}, "councils_in_group": {"type": "integer"},
                        "too_wide": {"type": ["boolean", "null"]}, "status": {"type": "string"}}}}}}
            }
        },
        "paths": {
            "/v1/submissions": {"post": {
                "summary": "Submit a signed release (compact JWS, typ msp-release+jws).",
                "requestBody": {"required": true, "content": {"application/jose": {"schema": {"type": "string"}}}},
                "responses": {
                    "201": {"description": "Accepted: the signed receipt (schemas/json/submission-accepted.schema.json)."},
                    "200": {"description": "The same bytes were already accepted: the same receipt."},
                    "400": {"$ref": "#/components/responses/Problem"}, "401": {"$ref": "#/components/responses/Problem"},
                    "403": {"$ref": "#/components/responses/Problem"}, "409": {"$ref": "#/components/responses/Problem"},
                    "413": {"$ref": "#/components/responses/Problem"}, "415": {"$ref": "#/components/responses/Problem"},
                    "422": {"description": "Refused: invalid-release, unsupported-spec, invalid-period, policy-violation (the network policy's spec, ρ range or revision limit), implausible-release (a value, a table's ρ or a creation time no correct node makes) or budget-exceeded (the council's published ρ, across all its keys, would pass a cap of the policy).",
                        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}}},
            "/v1/log/head": {"get": {"summary": "The signed tree head.", "responses": {"200": {"description": "schemas/json/signed-tree-head.schema.json"}}}},
            "/v1/log/inclusion": {"get": {"summary": "An inclusion proof (RFC 9162).", "parameters": [
                {"name": "hash", "in": "query", "required": true, "schema": {"type": "string"}, "description": "SHA-256 (hex) of the submitted JWS."},
                {"name": "tree_size", "in": "query", "required": true, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "leaf_index, tree_size, audit_path"}, "400": {"$ref": "#/components/responses/Problem"}, "404": {"$ref": "#/components/responses/Problem"}}}},
            "/v1/log/consistency": {"get": {"summary": "A consistency proof (RFC 9162).", "parameters": [
                {"name": "first", "in": "query", "required": true, "schema": {"type": "integer"}},
                {"name": "second", "in": "query", "required": true, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "first, second, proof"}, "400": {"$ref": "#/components/responses/Problem"}}}},
            "/v1/keys": {"get": {"summary": "The coordinator's receipt-signing key.", "responses": {"200": {"description": "algorithm, public_key, fingerprint"}}}},
            "/v1/policy": {"get": {"summary": "The network policy (msp-policy/1) every submission is held to, signed with the receipt-signing key. No sign-in: nodes fetch it and hold their releases to it.",
                "responses": {"200": {"description": "The policy and the same policy as a compact JWS (typ msp-policy+jws) whose payload is exactly the policy's JSON (schemas/json/signed-policy.schema.json).",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SignedPolicy"}}}}}}},
            "/v1/benchmarks": {"get": {"summary": "One group's benchmark for a period, with every table's summed cells and standard errors.", "security": [{"bearer": []}],
                "parameters": [{"name": "group", "in": "query", "schema": {"type": "string"}, "description": group.1},
                               {"name": "period", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The benchmark."}, "401": {"$ref": "#/components/responses/Problem"}, "403": {"$ref": "#/components/responses/Problem"}}}},
            "/v1/compare": {"get": {"summary": "Two groups side by side, each measure's difference with its 95% interval and a verdict.", "security": [{"bearer": []}],
                "parameters": [{"name": "a", "in": "query", "required": true, "schema": {"type": "string"}},
                               {"name": "b", "in": "query", "required": true, "schema": {"type": "string"}},
                               {"name": "period", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "The comparison."}, "403": {"$ref": "#/components/responses/Problem"}}}},
            "/v1/views/overview": view_path("Headline measures of a group (England by default).", &[group]),
            "/v1/views/breakdowns": view_path("Desired outcomes, risk type and location mix, and outcomes fully achieved by support reason, age band, ethnic group and sex, for a group (England by default).", &[group]),
            "/v1/views/groups": view_path("One measure for England, each region and each council type.", &[measure, sort]),
            "/v1/views/models": view_path("One measure by team model and MSP level, with their differences.", &[measure]),
            "/v1/views/council/{code}": {"get": view_path("A council beside its region, council type and England.", &[])["get"].clone()
                .as_object().cloned().map(|mut o| { o.insert("parameters".into(), json!([{"name": "code", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "period", "in": "query", "schema": {"type": "string"}}, {"name": "format", "in": "query", "schema": {"type": "string"}}])); Value::Object(o) }).unwrap_or(Value::Null)},
            "/v1/views/trend": view_path("A measure by quarter and by financial year for a group.", &[group, measure]),
            "/v1/views/councils": view_path("Every council of a group for one measure, each with its verdict against the rest of England.", &[group, measure, sort]),
            "/v1/open/overview": open_path("Headline measures of a group (England by default).", &[group]),
            "/v1/open/groups": open_path("One measure for England, each region and each council type.", &[measure, sort]),
            "/v1/open/councils": open_path("Every council of a group for one measure.", &[group, measure, sort]),
            "/v1/open/models": open_path("One measure by team model and MSP level.", &[measure]),
            "/v1/open/breakdowns": open_path("Breakdowns for a group.", &[group]),
            "/v1/open/trend": open_path("A measure by quarter and by financial year for a group.", &[group, measure]),
            "/v1/views/status": view_path("Which councils have released which quarters.", &[]),
            "/healthz": {"get": {"summary": "Liveness.", "responses": {"200": {"description": "ok"}}}},
            "/readyz": {"get": {"summary": "Readiness (the database answers).", "responses": {"200": {"description": "ready"}, "503": {"$ref": "#/components/responses/Problem"}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics.", "responses": {"200": {"description": "text/plain; version=0.0.4"}}}}
        }
    }))
}
