"""Built-in word lists (normalised forms), written for cmbot. Communities extend them with
[plugins.toxicity] blocklist and narrow them with allowlist. Kept short on purpose: the
model catches the long tail, and every entry here is matched exactly as a whole word."""

BUILTIN: dict[str, tuple[str, ...]] = {
    "threats": ("kys", "kill yourself", "i will kill you", "im going to kill you",
                "go die", "hope you die", "i will find you", "doxx you", "swat you"),
    "slurs": ("nigger", "nigga", "faggot", "fag", "retard", "retarded", "tranny", "kike",
              "spic", "chink", "wetback", "towelhead", "coon", "dyke"),
    "sexual": ("send nudes", "suck my dick", "suck my cock", "show your tits", "rape you"),
    "insults": ("stupid bitch", "dumb bitch", "you are trash", "youre trash", "ur trash",
                "piece of shit", "you suck", "uninstall", "cunt", "you idiot", "moron",
                "loser", "go fuck yourself", "fuck you", "fuck off", "stfu",
                # gaming trash talk
                "noob", "noobs", "nub", "idiot", "idiots", "useless", "bastard",
                "motherfucker", "shut up", "shut the fuck up", "retards", "dumbass", "scrub",
                "ez", "gg ez"),
}
