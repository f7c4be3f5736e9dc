#!/usr/bin/env python3
"""Generate schemas/manifest.schema.json and schemas/fields.json from the
Broker API OpenAPI spec (shared/reference/alpaca-broker-api.openapi.yaml).

Request bodies of the seven resource kinds become the resource definitions of
the manifest schema (same JSON field names, so users can paste from the API
docs); response schemas become per-kind field trees used to type-check
references such as ${accounts.alice.status}.

Usage: python3 schemas/gen/generate.py [path/to/openapi.yaml]
"""
import copy
import json
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)
SPEC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    HERE, "..", "..", "..", "shared", "reference", "alpaca-broker-api.openapi.yaml")

KINDS = [
    # kind, request schema, response schema, status enum, account scoped, data lookup
    ("accounts", "AccountCreationRequest", "Account", "AccountStatus", False),
    ("ach_relationships", "CreateACHRelationshipRequest", "ACHRelationship", None, True),
    ("bank_relationships", "CreateBankRequest", "Bank", None, True),
    ("transfers", "CreateTransferRequest", "Transfer", "TransferStatus", True),
    ("journals", "CreateJournalRequest", "Journal", "JournalStatus", False),
    ("batch_journals", "BatchJournalRequest", "BatchJournalResponse", "JournalStatus", False),
    ("orders", "CreateOrderRequest", "Order", "OrderStatus", True),
]

# Statuses the spec enums do not list but the API is documented (facts §3-8,
# alpaca-py enums) to return; wait_for accepts them too.
EXTRA_STATUSES = {
    "accounts": ["AML_REVIEW", "DISABLE_PENDING", "DISABLED", "EDITED", "KYC_SUBMITTED", "LIMITED",
                 "PAPER_ONLY", "REAPPROVAL_PENDING", "RESUBMITTED", "SIGNED_UP"],
    "ach_relationships": ["QUEUED", "APPROVED", "REJECTED", "PENDING", "CANCEL_REQUESTED",
                          "CANCEL_SENT", "CANCELED", "SENT_TO_CLEARING"],
    "bank_relationships": ["QUEUED", "SENT_TO_CLEARING", "APPROVED", "REJECTED", "CANCELED"],
    "transfers": ["SETTLED", "EXPIRED"],
    "orders": ["pending_review", "held"],
}

SENSITIVE = {"tax_id", "date_of_birth", "bank_account_number", "account_number",
             "processor_token", "transmitter_account_number", "content", "content_data"}

DROP = {"example", "examples", "x-examples", "discriminator", "x-deprecation", "externalDocs", "xml"}

spec = yaml.safe_load(open(SPEC))
schemas = spec["components"]["schemas"]

# Value formats the spec does not state but the API enforces (facts §4-8,
# pkg/broker Validate): brokerctl's validator registers these formats, so a
# bad amount or routing number fails at validate time, before any request.
#   decimal           a plain decimal string ("100.00"; no exponent)
#   positive-decimal  a decimal string > 0 ("Must be > 0.00")
#   aba-routing       a 9-digit ABA routing number with a valid check digit
#   past-date         a YYYY-MM-DD date that is not in the future
#   country-alpha3    an ISO 3166-1 alpha-3 country code (USA), as described
#   bic               a SWIFT BIC (8 or 11 characters)
#   latin             Latin characters only (ASCII 32-126): the Data
#                     Validations page's rule for names, address and tax id
#   tax-id            a tax id: Latin, more than one character, not one
#                     character repeated (Identity's if/then adds us-tin,
#                     the SSA rules, for USA_SSN and USA_ITIN)
FORMATS = {
    "Contact/city": "latin",
    "Contact/state": "latin",
    "Contact/postal_code": "latin",
    "Contact/unit": "latin",
    "StreetAddress": "latin",
    "Identity/given_name": "latin",
    "Identity/middle_name": "latin",
    "Identity/family_name": "latin",
    "Identity/tax_id": "tax-id",
    "Contact/country": "country-alpha3",
    "TrustedContact/country": "country-alpha3",
    "Identity/country_of_birth": "country-alpha3",
    "Identity/country_of_citizenship": "country-alpha3",
    "Identity/country_of_tax_residence": "country-alpha3",
    "CreateTransferRequest/amount": "positive-decimal",
    "CreateJournalRequest/amount": "positive-decimal",
    "CreateJournalRequest/qty": "positive-decimal",
    "BatchJournalRequest/entries[]/amount": "positive-decimal",
    "BatchJournalRequest/entries[]/qty": "positive-decimal",
    "CreateOrderRequest/qty": "positive-decimal",
    "CreateOrderRequest/notional": "positive-decimal",
    "CreateOrderRequest/stop_price": "positive-decimal",
    "CreateOrderRequest/trail_price": "positive-decimal",
    "CreateOrderRequest/trail_percent": "positive-decimal",
    "CreateOrderRequest/take_profit/limit_price": "positive-decimal",
    "CreateOrderRequest/stop_loss/stop_price": "positive-decimal",
    "CreateOrderRequest/stop_loss/limit_price": "positive-decimal",
    "MLegOrderLeg/ratio_qty": "positive-decimal",
    "CreateACHRelationshipRequest/bank_routing_number": "aba-routing",
    "Identity/date_of_birth": "past-date",
    "W8benDocument/date_of_birth": "past-date",
}


def set_format(path, fmt):
    parts = path.split("/")
    if len(parts) == 1:
        schemas[path]["format"] = fmt
        return
    node = schemas[parts[0]]
    for p in parts[1:]:
        if p.endswith("[]"):
            node = node["properties"][p[:-2]]["items"]
        else:
            node = node["properties"][p]
    node["format"] = fmt


for _path, _fmt in FORMATS.items():
    set_format(_path, _fmt)


def refname(ref):
    return ref.rsplit("/", 1)[1]


def collect(node, out):
    """Collect the names of component schemas reachable from node."""
    if isinstance(node, dict):
        if "$ref" in node:
            n = refname(node["$ref"])
            if n not in out:
                out.add(n)
                collect(schemas[n], out)
        for v in node.values():
            collect(v, out)
    elif isinstance(node, list):
        for v in node:
            collect(v, out)


def composed(node, out):
    """Names used as branches of allOf/anyOf/oneOf (they must stay open)."""
    if isinstance(node, dict):
        for k in ("allOf", "anyOf", "oneOf"):
            for b in node.get(k, []):
                if isinstance(b, dict) and "$ref" in b:
                    out.add(refname(b["$ref"]))
        for v in node.values():
            composed(v, out)
    elif isinstance(node, list):
        for v in node:
            composed(v, out)


def templatable(node):
    """Whether a string ${...} template must also be accepted at node."""
    t = node.get("type")
    types = t if isinstance(t, list) else [t] if t else []
    if any(x in ("boolean", "number", "integer", "array", "object") for x in types):
        return True
    return any(k in node for k in ("enum", "const", "pattern", "minLength", "maxLength", "format"))


def transform(node, name_open, top=False):
    if isinstance(node, list):
        return [transform(v, name_open) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k in DROP:
            continue
        if k == "$ref":
            out[k] = "#/$defs/" + refname(v)
        elif k == "properties":
            props = {}
            for pk, pv in v.items():
                pt = transform(pv, False)
                if pk in SENSITIVE and isinstance(pt, dict):
                    pt["x-brokerctl-sensitive"] = True
                props[pk] = pt
            out[k] = props
        elif k in ("items", "additionalProperties", "not", "if", "then", "else"):
            out[k] = transform(v, False)
        elif k in ("allOf", "anyOf", "oneOf", "prefixItems"):
            out[k] = [transform(b, True) for b in v]
        else:
            out[k] = copy.deepcopy(v)
    if "properties" in out and "additionalProperties" not in out and not name_open \
            and not any(k in out for k in ("allOf", "anyOf", "oneOf")):
        out["additionalProperties"] = False
    if not top and "$ref" not in out and templatable(out):
        return {"anyOf": [out, {"$ref": "#/$defs/template"}]}
    return out


def field_tree(node, seen=()):
    """Response fields of a schema as {"type": ..., "fields"/"items": ...}."""
    if not isinstance(node, dict):
        return {"type": "scalar"}
    if "$ref" in node:
        n = refname(node["$ref"])
        if n in seen:
            return {"type": "any"}
        return field_tree(schemas[n], seen + (n,))
    fields = {}
    is_obj = False
    for k in ("allOf", "oneOf", "anyOf"):
        for b in node.get(k, []):
            sub = field_tree(b, seen)
            if sub["type"] == "object":
                is_obj = True
                for fk, fv in sub["fields"].items():
                    fields.setdefault(fk, fv)
    if "properties" in node:
        is_obj = True
        for pk, pv in node["properties"].items():
            fields[pk] = field_tree(pv, seen)
    if is_obj:
        if node.get("additionalProperties") not in (None, False) and not fields:
            return {"type": "any"}
        return {"type": "object", "fields": dict(sorted(fields.items()))}
    t = node.get("type")
    types = t if isinstance(t, list) else [t]
    if "array" in types:
        return {"type": "array", "items": field_tree(node.get("items", {}), seen)}
    if "object" in types:
        return {"type": "any"}
    return {"type": "scalar"}


# ---- manifest schema -------------------------------------------------------
needed = set()
for _, req, _, _, _ in KINDS:
    needed.add(req)
    collect(schemas[req], needed)
open_names = set()
for n in needed:
    composed(schemas[n], open_names)

defs = {}
for n in sorted(needed):
    defs[n] = transform(schemas[n], n in open_names, top=True)
    # A scalar component (an enum such as TransferDirection or TaxIdType)
    # is used through $ref, which transform leaves unwrapped: accept a
    # ${...} template there too (side: ${var.side}).
    if "properties" not in defs[n] and defs[n].get("type") not in ("object", "array") \
            and "enum" in defs[n]:
        defs[n] = {"anyOf": [defs[n], {"$ref": "#/$defs/template"}]}

# A USA_SSN or USA_ITIN is 9 digits the SSA could have issued (Data
# Validations page; the emulator applies the same rules).
defs["Identity"]["allOf"] = [{
    "if": {"properties": {"tax_id_type": {"enum": ["USA_SSN", "USA_ITIN"]}}, "required": ["tax_id_type"]},
    "then": {"properties": {"tax_id": {"anyOf": [{"format": "us-tin"}, {"$ref": "#/$defs/template"}]}}},
}]

defs["template"] = {
    "description": "A ${...} expression: a reference (${accounts.alice.id}), a variable "
                   "(${var.name}), an environment variable (${env.NAME} or ${env.NAME:-default}), "
                   "${each.key}, ${each.value...} or ${count.index}.",
    "type": "string",
    "pattern": "\\$\\{",
}
defs["duration"] = {"type": "string", "pattern": "^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$",
                    "description": "A Go duration such as 30s, 10m or 1h30m."}
defs["depends_on"] = {"type": "array", "items": {"type": "string"},
                      "description": "Addresses this resource must wait for, e.g. accounts.alice."}
defs["for_each"] = {
    "description": "Create one instance per element: an inline list of strings, an inline map "
                   "(key -> value), or a CSV/JSON file ({file: customers.csv, key: email}).",
    "anyOf": [
        {"type": "array", "items": {"type": ["string", "number", "boolean", "object"]}},
        {"type": "object", "properties": {
            "file": {"type": "string", "description": "CSV or JSON file, relative to the manifest."},
            "key": {"type": "string", "description": "Column (CSV) or field (JSON) holding each instance key."},
            "format": {"enum": ["csv", "json"]},
        }, "required": ["file"], "additionalProperties": False},
        {"type": "object", "not": {"required": ["file"]}},
        {"$ref": "#/$defs/template"},
    ],
}
defs["count"] = {"anyOf": [{"type": "integer", "minimum": 0}, {"$ref": "#/$defs/template"}],
                 "description": "Create this many instances, addressed name[0], name[1], ..."}
defs["lifecycle"] = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "protect": {"type": "boolean", "description": "Refuse to destroy this resource."},
        "retain_on_destroy": {"type": "boolean", "description": "On destroy, forget the resource but leave it in the API."},
        "ignore_changes": {"type": "array", "items": {"type": "string"},
                           "description": "Body field paths (e.g. contact.phone_number) whose changes do not count as drift."},
        "import": {"type": "string", "description": "Adopt an existing object with this id instead of creating one."},
    },
}


def wait_def(kind, statuses):
    st = {"enum": statuses} if statuses else {"type": "string"}
    one = {"anyOf": [st, {"$ref": "#/$defs/template"}]}
    return {
        "description": "Wait after creation until the status is one of these (or later in the lifecycle).",
        "anyOf": [
            one,
            {"type": "array", "items": one, "minItems": 1},
            {"type": "object", "additionalProperties": False, "required": ["status"],
             "properties": {"status": {"anyOf": [one, {"type": "array", "items": one, "minItems": 1}]},
                            "timeout": {"$ref": "#/$defs/duration"}}},
        ],
    }


def statuses_of(kind, enum_name):
    vals = []
    if enum_name:
        vals += schemas[enum_name]["enum"]
    for v in EXTRA_STATUSES.get(kind, []):
        if v not in vals:
            vals.append(v)
    return vals


account_id_prop = {"anyOf": [{"type": "string", "format": "uuid"}, {"$ref": "#/$defs/template"}],
                   "description": "The account this resource belongs to (the {account_id} path parameter), "
                                  "usually ${accounts.NAME.id}. Not sent in the body."}
meta_props = {
    "depends_on": {"$ref": "#/$defs/depends_on"},
    "for_each": {"$ref": "#/$defs/for_each"},
    "count": {"$ref": "#/$defs/count"},
    "lifecycle": {"$ref": "#/$defs/lifecycle"},
}

top_props = {}
data_props = {}
fields_out = {}
for kind, req, resp, enum_name, scoped in KINDS:
    body = defs[req]
    statuses = statuses_of(kind, enum_name)
    props = dict(body.get("properties", {}))
    for m, v in meta_props.items():
        props[m] = v
    props["wait_for"] = wait_def(kind, statuses)
    required = list(body.get("required", []))
    if scoped:
        props["account_id"] = account_id_prop
        required = ["account_id"] + required
    rdef = {"title": kind + " resource",
            "description": "A %s resource: the %s request body plus meta-arguments." % (kind, req),
            "type": "object", "properties": props, "additionalProperties": False}
    if required:
        rdef["required"] = required
    if kind == "bank_relationships":
        # bank_code is a 9-digit ABA routing number or a BIC, as
        # bank_code_type says (facts §5).
        rdef["allOf"] = [
            {"if": {"properties": {"bank_code_type": {"const": code_type}}, "required": ["bank_code_type"]},
             "then": {"properties": {"bank_code": {"anyOf": [{"format": fmt}, {"$ref": "#/$defs/template"}]}}}}
            for code_type, fmt in (("ABA", "aba-routing"), ("BIC", "bic"))
        ]
    defs["resource." + kind] = rdef
    top_props[kind] = {"type": "object", "additionalProperties": {"$ref": "#/$defs/resource." + kind},
                       "description": "%s to create, keyed by a name you choose." % kind}
    if kind != "batch_journals":
        lp = {"id": {"anyOf": [{"type": "string", "format": "uuid", "description": "The id of the existing object."},
                               {"$ref": "#/$defs/template"}]}}
        if kind == "accounts":
            lp["email"] = {"type": "string", "description": "Find the account by its contact email address."}
        lreq = [{"required": ["id"]}] + ([{"required": ["email"]}] if kind == "accounts" else [])
        if scoped:
            lp["account_id"] = account_id_prop
        ldef = {"type": "object", "additionalProperties": False, "properties": lp,
                "oneOf": lreq if len(lreq) > 1 else None, "required": None}
        if len(lreq) == 1:
            ldef["required"] = ["id"] + (["account_id"] if scoped else [])
            del ldef["oneOf"]
        else:
            del ldef["required"]
        if scoped and "required" not in ldef:
            ldef["required"] = ["account_id"]
        data_props[kind] = {"type": "object", "additionalProperties": ldef,
                            "description": "Existing %s looked up, never created or destroyed." % kind}
    tree = field_tree(schemas[resp])
    if kind == "batch_journals":
        # The batch endpoint answers with one journal per entry; brokerctl
        # records the created batch as {"entries": [...]}.
        tree = {"type": "object", "fields": {"entries": {"type": "array", "items": tree}}}
    fields_out[kind] = {"request": req, "response": resp, "account_scoped": scoped,
                        "statuses": statuses, "fields": tree}

top_props["variables"] = {
    "type": "object",
    "description": "Input variables, set with --var name=value or --var-file, referenced as ${var.name}.",
    "additionalProperties": {"type": "object", "additionalProperties": False, "properties": {
        "default": {"description": "Value used when none is given."},
        "description": {"type": "string"},
        "type": {"enum": ["string", "number", "bool"]},
    }},
}
top_props["outputs"] = {
    "type": "object",
    "description": "Values printed after apply, e.g. ${accounts.alice.id}.",
    "additionalProperties": {"type": "object", "additionalProperties": False, "required": ["value"],
                             "properties": {"value": {}, "description": {"type": "string"},
                                            "sensitive": {"type": "boolean"}}},
}
top_props["data"] = {"type": "object", "additionalProperties": False, "properties": data_props,
                     "description": "Existing objects looked up by id (or accounts by email), "
                                    "referenced as ${data.accounts.NAME.id}."}

manifest = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://brokerctl.dev/schemas/manifest.schema.json",
    "title": "brokerctl manifest",
    "description": "Declarative Alpaca Broker API resources. Generated by schemas/gen/generate.py "
                   "from the Broker API OpenAPI spec; do not edit by hand.",
    "type": "object",
    "additionalProperties": False,
    "properties": top_props,
    "$defs": dict(sorted(defs.items())),
}

with open(os.path.join(OUT, "manifest.schema.json"), "w") as f:
    json.dump(manifest, f, indent=1, sort_keys=False, ensure_ascii=False)
    f.write("\n")
with open(os.path.join(OUT, "fields.json"), "w") as f:
    json.dump({"description": "Per-kind response field trees and statuses, generated by "
                              "schemas/gen/generate.py from the Broker API OpenAPI spec.",
               "kinds": fields_out}, f, indent=1, ensure_ascii=False)
    f.write("\n")
