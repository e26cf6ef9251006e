"""Built-in word lists (normalised forms), written for cmbot, one per category of the
model. Communities extend them with [plugins.toxicity] blocklist (as insults) and narrow
them with allowlist. Kept short on purpose: the model catches the long tail, and every
entry here is matched exactly as a whole word."""

BUILTIN: dict[str, tuple[str, ...]] = {
    "self_harm": ("kys", "kill yourself", "go kill yourself", "go die", "hope you die",
                  "neck yourself", "drink bleach", "tue toi", "va te tuer", "va crever",
                  "suicide toi"),
    "threat": ("i will kill you", "im going to kill you", "ill kill you", "i will find you",
               "doxx you", "swat you", "je vais te tuer", "je vais te retrouver"),
    "hate": ("nigger", "nigga", "faggot", "fag", "retard", "retarded", "tranny", "kike",
             "spic", "chink", "wetback", "towelhead", "coon", "dyke", "bougnoule",
             "pede", "tarlouze", "youpin"),
    "sexual": ("send nudes", "suck my dick", "suck my cock", "show your tits", "rape you",
               "suce ma bite", "montre tes seins"),
    "insult": ("stupid bitch", "dumb bitch", "you are trash", "youre trash", "ur trash",
               "piece of shit", "you suck", "uninstall", "cunt", "you idiot", "moron",
               "loser", "go fuck yourself", "fuck you", "fuck off", "stfu",
               # gaming trash talk
               "noob", "noobs", "nub", "idiot", "idiots", "useless", "bastard",
               "motherfucker", "shut up", "shut the fuck up", "retards", "dumbass", "scrub",
               "ez", "gg ez",
               # French
               "connard", "connasse", "salope", "encule", "fils de pute", "ta gueule",
               "ferme ta gueule", "pauvre con", "abruti", "nique ta mere"),
    "profanity": ("fuck", "fucking", "shit", "bullshit", "wtf", "damn", "crap",
                  "putain", "merde", "bordel"),
}
