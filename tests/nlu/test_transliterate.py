import pytest

from nlu.transliterate import phonetic_key, skeleton, to_latin


@pytest.mark.parametrize("devanagari, latin", [
    ("नाशिक", "naashik"), ("कमल", "kamal"), ("समझना", "samajhnaa"), ("न", "na"), ("महाराष्ट्र", "mahaaraashtra"),
    ("गेहूं का भाव", "gehoon kaa bhaav"), ("जळगाव", "jalgaav"), ("मौसम", "mausam"), ("बाजरी", "baajree"),
    ("कल बारिश होगी क्या", "kal baarish hogee kyaa"), ("तूर", "toor"), ("ज़मीन", "zameen"), ("१२३ किलो", "123 kilo"),
    ("price of प्याज today", "price of pyaaj today"),
])
def test_romanisation_drops_the_schwas_hindi_drops(devanagari, latin):
    assert to_latin(devanagari) == latin


@pytest.mark.parametrize("spellings", [
    ["Nashik", "nasik", "नाशिक", "NASHIK"],
    ["gehun", "gehoon", "गेहूं", "gehuun"],
    ["Bareilly", "bareli", "बरेली"],
    ["Aurangabad", "औरंगाबाद", "aurangaabaad"],
    ["pyaz", "pyaaz", "प्याज"],
    ["Solapur", "solapoor", "सोलापूर"],
])
def test_spellings_of_one_word_share_a_key(spellings):
    assert len({phonetic_key(s) for s in spellings}) == 1, {s: phonetic_key(s) for s in spellings}


@pytest.mark.parametrize("a, b", [("Ahmadnagar", "अहमदनगर"), ("harbhara", "हरभरा"), ("moongphali", "मूंगफली")])
def test_where_schwa_rules_disagree_the_skeleton_still_agrees(a, b):
    assert skeleton(phonetic_key(a)) == skeleton(phonetic_key(b))
