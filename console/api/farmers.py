"""Farmers, read through the API: search and one farmer. Numbers are masked; an agronomist or admin may ask for a
farmer's full number (`?reveal=true`), and each such answer is in the audit log."""
from __future__ import annotations

from flask import abort, g, jsonify, request

from console.api.auth import audited, needs, service
from console.api.inputs import known_id, page_args, page_json
from console.pages import page_of
from farmdb.models import Farmer
from farmdb.phones import mask_phone
from service import farmer_records as records
from service.operators import may


def as_json(farmer: Farmer, phone: str | None = None) -> dict:
    return {"id": farmer.id, "phone": phone or mask_phone(farmer.phone), "name": farmer.name,
            "language": farmer.locale, "district": farmer.district.name if farmer.district else None,
            "state": farmer.state.name if farmer.state else None,
            "crops": sorted(fc.crop.code for fc in farmer.crops), "sms_stopped": farmer.sms_opted_out,
            "consent_given_at": farmer.consent_given_at.isoformat() if farmer.consent_given_at else None,
            "registered_at": farmer.created_at.isoformat()}


@needs("viewer")
def search():
    """Find farmers.
    ---
    get:
      summary: Find farmers by number, name, district or crop (newest first)
      parameters:
        - name: q
          in: query
          schema: {type: string, maxLength: 80}
          description: a number in any format, or part of a name (the last digits of a number need the agronomist role)
        - {name: district, in: query, schema: {type: string, maxLength: 64}}
        - {name: crop, in: query, schema: {type: string, maxLength: 32}}
        - page
        - per_page
      responses:
        200:
          description: a page of farmers
          content: {application/json: {schema: {$ref: '#/components/schemas/FarmerPage'}}}
        400: {$ref: '#/components/responses/BadRequest'}
        401: {$ref: '#/components/responses/Unauthorized'}
        429: {$ref: '#/components/responses/TooManyRequests'}
    """
    number, per_page = page_args()
    text, district = request.args.get("q", "")[:80], request.args.get("district", "").strip()[:64]
    crop = request.args.get("crop", "").strip().lower()[:32] or None
    with service().backends.sessions() as db:
        district_ids = None
        if district:
            district_ids = records.districts_named(db, district)
            if not district_ids:
                abort(400, description=f"no district called {district}")
        try:
            query = records.search(text, district_ids=district_ids, crop=crop,
                                   last_digits=may(g.api_role, "agronomist"),
                                   default_region=service().settings.default_region)
        except records.RecordError as problem:
            abort(400, description=str(problem))
        page = page_of(db, query, number, per_page)
        return jsonify(page_json(page, [as_json(f) for f in page.items]))


@needs("viewer")
def farmer(farmer_id: int):
    """One farmer.
    ---
    get:
      summary: One farmer; `reveal=true` gives the full number (agronomist or admin; audited)
      parameters:
        - {name: farmer_id, in: path, required: true, schema: {type: integer, minimum: 1, maximum: 2147483647}}
        - {name: reveal, in: query, schema: {type: boolean, default: false}}
      responses:
        200:
          description: the farmer
          content: {application/json: {schema: {$ref: '#/components/schemas/Farmer'}}}
        401: {$ref: '#/components/responses/Unauthorized'}
        403: {$ref: '#/components/responses/Forbidden'}
        404: {$ref: '#/components/responses/NotFound'}
    """
    known_id(farmer_id, "farmer")
    reveal = request.args.get("reveal", "false").lower() in ("true", "1")
    if reveal and not may(g.api_role, "agronomist"):
        abort(403, description="showing a full number needs the agronomist role")
    with service().backends.sessions() as db, db.begin():
        found = records.get(db, farmer_id)
        if found is None:
            abort(404, description=f"no farmer {farmer_id}")
        if reveal:
            audited(db, "farmer_number_shown", "farmer", found.id)
        return jsonify(as_json(found, found.phone if reveal else None))


ROUTES = (
    ("GET", "/farmers", search),
    ("GET", "/farmers/<int:farmer_id>", farmer),
)
