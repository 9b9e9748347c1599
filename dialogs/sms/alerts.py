"""Price alerts by SMS (the words are read by nlu.alert_words): "ALERT kanda 2000" or "onion 2000 lasalgaon" sets
one, "ALERTS" lists them numbered, "ALERT CANCEL 2" or "ALERT CANCEL ALL" cancels. What an alert is, and when it
fires, is the same as on USSD (dialogs/flows/price_alerts.py)."""
from __future__ import annotations

from dialogs.effects import CancelPriceAlerts
from dialogs.flows.price_alerts import MAX_ALERTS, alert_line, ends_on, new_alert, place_label, unlikely
from dialogs.flows.prices import dated, in_reach
from dialogs.services import MandiPrice, Named
from dialogs.sms.questions import named_crop
from dialogs.sms.turn import Turn
from dialogs.texts import N_
from nlu.alert_words import AlertWords

SAVED = {"above": N_("sms.alert.saved.above"), "below": N_("sms.alert.saved.below")}
SEGMENTS = 3  # the confirmation says what, where, till when and today's price; a list holds up to five
PLACE_SAID_MAX = 30  # what the farmer wrote, said back when it is not a mandi we know


def alert(turn: Turn) -> str:
    """The ALERT keyword."""
    words = turn.message.parse.alert
    if words.listing:
        return listing(turn)
    if words.cancel is not None:
        return cancel(turn, words.cancel)
    return set_alert(turn, words, strict=True)


def set_alert(turn: Turn, words: AlertWords, strict: bool) -> str | None:
    """Set the alert the message asks for. Without the keyword (`strict` False) anything short of a crop, a price
    and a mandi or district known by that very name is not an alert after all: None, and the message is read as the
    question it also is."""
    crop = named_crop(turn) if turn.message.parse.entities.get("crop") else None
    if crop is None or words.amount is None:
        return turn.say(N_("sms.alert.how")) if strict else None
    place = _place(turn, words.place, exact=not strict)
    if place is None:
        if not strict:
            return None
        return turn.say(N_("sms.alert.place_unknown"), place=words.place[:PLACE_SAID_MAX])
    mandi, district_id = place
    t, services = turn.t, turn.services
    watched = _watched(turn, crop.key, mandi, district_id)
    now = watched[0] if watched else None
    if now and unlikely(words.amount, now.modal_price):
        return turn.say(N_("sms.alert.per_quintal"), crop=crop.label(turn.locale, t.latin),
                        price=t.money(now.modal_price), amount=t.money(words.amount))
    effect = new_alert(services, turn.profile, crop.key, mandi.key if mandi else None, district_id, words.amount,
                       now.modal_price if now else None, [p.modal_price for p in watched], turn.message.channel,
                       words.direction)
    alerts = services.price_alerts(turn.profile.farmer_id)
    renewed = any((a.crop, a.mandi.key if a.mandi else None, a.district.key if a.district and not a.mandi else None,
                   a.direction, a.amount) == (effect.crop, effect.mandi_id, effect.district_id, effect.direction,
                                              effect.amount) for a in alerts)
    if len(alerts) >= MAX_ALERTS and not renewed:
        return turn.say(N_("sms.alert.full"), count=MAX_ALERTS)
    turn.effects.append(effect)
    price = dated(t, services, now, now.mandi.label(turn.locale, t.latin), N_("alert.now"), N_("alert.now.old"),
                  say_today=False) if now else t(N_("alert.now.none"))  # an SMS is read later: a date
    district = services.district(district_id) if district_id else None
    return turn.say(SAVED[effect.direction], segments=SEGMENTS, crop=crop.label(turn.locale, t.latin),
                    place=place_label(t, turn.locale, mandi, district, turn.profile.district_id),
                    amount=t.money(words.amount), date=t.date(ends_on(services)), now=price)


def _place(turn: Turn, words: str, exact: bool) -> tuple[Named | None, int | None] | None:
    """(the mandi, None), or (None, the district whose three nearest mandis to watch), or None: not found. `exact`:
    only a mandi or district of that very name ("sir" is no Sirsa)."""
    if not words:
        return (None, turn.profile.district_id) if not exact else None
    mandis = [m for m in turn.services.find_mandis(words) if not exact or _named(m, words)]
    if len(mandis) == 1:
        return mandis[0], None
    location = turn.message.parse.entities.get("location")
    district = turn.services.district_named(location, prefer_state=turn.profile.state_id,
                                            text=turn.message.text) if location else None
    if district and (not exact or _named(district, words)):
        return None, district.key
    return None


def _named(item: Named, words: str) -> bool:
    return words.casefold() in {n.casefold() for n in (*item.names.values(), *item.romanised.values()) if n}


def _watched(turn: Turn, crop: str, mandi: Named | None, district_id: int | None) -> list[MandiPrice]:
    """The prices the check will look at: the mandi's, or those of the three nearest in reach (nearest first)."""
    if mandi:
        price = turn.services.price_at(crop, mandi.key)
        return [price] if price else []
    return in_reach(turn.services.prices(crop, district_id, limit=3))[0]


def listing(turn: Turn) -> str:
    alerts = turn.services.price_alerts(turn.profile.farmer_id)
    if not alerts:
        return turn.say(N_("sms.alert.none"))
    lines = [f"{n}) {alert_line(turn.t, turn.locale, turn.services, a, turn.profile.district_id)}"
             for n, a in enumerate(alerts, 1)]
    return turn.say(N_("sms.alert.list"), segments=SEGMENTS, alerts="; ".join(lines))


def cancel(turn: Turn, which: tuple[int, ...] | str) -> str:
    """By the numbers ALERTS showed (oldest first), or all of them."""
    alerts = turn.services.price_alerts(turn.profile.farmer_id)
    if not alerts:
        return turn.say(N_("sms.alert.none"))
    if which == "all":
        turn.effects.append(CancelPriceAlerts(turn.profile.farmer_id, tuple(a.id for a in alerts)))
        return turn.say(N_("sms.alert.cancelled_all"))
    if not which:
        return listing(turn)
    missing = next((n for n in which if n > len(alerts)), None)
    if missing is not None:
        return turn.say(N_("sms.alert.no_such"), number=missing)
    chosen = [alerts[n - 1] for n in dict.fromkeys(which)]
    turn.effects.append(CancelPriceAlerts(turn.profile.farmer_id, tuple(a.id for a in chosen)))
    said = "; ".join(str(alert_line(turn.t, turn.locale, turn.services, a, turn.profile.district_id))
                     for a in chosen)
    return turn.say(N_("sms.alert.cancelled"), segments=SEGMENTS, alerts=said)
