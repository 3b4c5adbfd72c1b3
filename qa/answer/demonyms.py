"""Country adjectives and the countries they name: a reader asks what "the British government"
said of an article that writes "Britain's government". Matching both to one term lets the
reranker and the answerability features see the same word (see `qa.answer.question.stem`)."""

from __future__ import annotations

# adjective or people: country, as English news writes them. Lower case; one per line.
_TABLE = """
afghan afghanistan
african africa
albanian albania
algerian algeria
american america
argentine argentina
argentinian argentina
armenian armenia
australian australia
austrian austria
bangladeshi bangladesh
belgian belgium
bolivian bolivia
brazilian brazil
brit britain
british britain
brits britain
bulgarian bulgaria
cambodian cambodia
canadian canada
chilean chile
chinese china
colombian colombia
croatian croatia
cuban cuba
czech czechia
danish denmark
dutch netherlands
egyptian egypt
english england
eritrean eritrea
ethiopian ethiopia
european europe
filipino philippines
finnish finland
french france
georgian georgia
german germany
ghanaian ghana
greek greece
hungarian hungary
icelandic iceland
indian india
indonesian indonesia
iranian iran
iraqi iraq
irish ireland
israeli israel
italian italy
japanese japan
jordanian jordan
kenyan kenya
korean korea
kurdish kurdistan
lebanese lebanon
libyan libya
malaysian malaysia
mexican mexico
moroccan morocco
nigerian nigeria
norwegian norway
pakistani pakistan
palestinian palestine
peruvian peru
polish poland
portuguese portugal
romanian romania
russian russia
scottish scotland
serbian serbia
singaporean singapore
somali somalia
spanish spain
sudanese sudan
swedish sweden
swiss switzerland
syrian syria
taiwanese taiwan
thai thailand
tunisian tunisia
turkish turkey
ukrainian ukraine
venezuelan venezuela
vietnamese vietnam
welsh wales
yemeni yemen
"""
COUNTRY_OF: dict[str, str] = dict(line.split() for line in _TABLE.strip().splitlines())
