"""Default SMS texts of the lifecycle rules, per locale; managers edit the club's copies in the settings."""

import string

DEFAULT_TEXTS: dict[str, dict[str, str]] = {
    "welcome": {
        "en": (
            "Hi {first_name}, welcome to {club}! We're so glad you joined. Any questions about classes or training? "
            "Just ask us at the desk."
        ),
        "de": (
            "Hallo {first_name}, willkommen bei {club}! Schön, dass du dabei bist. Fragen zu Kursen oder Training? "
            "Sprich uns einfach am Empfang an."
        ),
        "ru": (
            "{first_name}, добро пожаловать в {club}! Рады, что Вы с нами. Если появятся вопросы о занятиях, "
            "обращайтесь к администратору."
        ),
        "fi": (
            "Hei {first_name}, tervetuloa jäseneksi! Kiva, että olet mukana. Kysy rohkeasti meiltä vastaanotossa "
            "tunneista ja treenistä. Terveisin {club}"
        ),
        "sl": (
            "{first_name}, dobrodošli v {club}! Veseli nas, da ste z nami. Če imate vprašanja o vadbah ali treningih, "
            "smo vam na voljo na recepciji."
        ),
        "sk": (
            "{first_name}, vitajte v {club}! Teší nás, že ste s nami. Ak máte otázky k lekciám či tréningu, radi Vám "
            "poradíme na recepcii."
        ),
    },
    "trial_invite": {
        "en": (
            "Hi {first_name}, as a new member you get a free session with a trainer: {session}, {when}. Want to join? "
            "Reply YES to book it."
        ),
        "de": (
            "Hallo {first_name}, als neues Mitglied bekommst du ein kostenloses Training mit Trainer: {session}, "
            "{when}. Antworte mit JA, um es zu buchen."
        ),
        "ru": "{first_name}, Вас ждёт бесплатное занятие с тренером: {session}, {when}. Ответьте ДА, чтобы записаться.",
        "fi": (
            "Hei {first_name}! Uutena jäsenenä saat maksuttoman treenin valmentajan kanssa: {session}, {when}. Varaa "
            "paikkasi vastaamalla KYLLÄ."
        ),
        "sl": (
            "{first_name}, vabimo vas na brezplačen trening s trenerjem: {session}, {when}. Za rezervacijo odgovorite "
            "DA."
        ),
        "sk": (
            "{first_name}, pozývame Vás na bezplatný tréning s trénerom: {session}, {when}. Ak si ho chcete "
            "rezervovať, odpovedzte ÁNO."
        ),
    },
    "class_invite": {
        "en": (
            "Hi {first_name}, fancy a change from your usual workout? Try something new with us: {session}, {when}. "
            "Reply YES to book your spot."
        ),
        "de": (
            "Hallo {first_name}, Lust auf Abwechslung im Training? Probier mal was Neues aus: {session}, {when}. "
            "Antworte mit JA, um dir einen Platz zu sichern."
        ),
        "ru": (
            "{first_name}, хотите разнообразить тренировки? Попробуйте что-то новое: {session}, {when}. Ответьте ДА, "
            "чтобы забронировать место."
        ),
        "fi": (
            "Hei {first_name}! Kaipaatko vaihtelua treeniin? Tule kokeilemaan jotain uutta: {session}, {when}. Varaa "
            "paikkasi vastaamalla KYLLÄ."
        ),
        "sl": (
            "{first_name}, vas mika kaj novega? Popestrite vadbo in se nam pridružite: {session}, {when}. Za "
            "rezervacijo mesta odgovorite DA."
        ),
        "sk": (
            "{first_name}, máte chuť na zmenu? Vyskúšajte niečo nové: {session}, {when}. Ak si chcete rezervovať "
            "miesto, odpovedzte ÁNO."
        ),
    },
    "silence_sms": {
        "en": (
            "Hi {first_name}, it's been {days} days since your last visit to {club}. We miss you! Even a short workout "
            "counts. Hope to see you soon."
        ),
        "de": (
            "Hallo {first_name}, seit {days} Tagen haben wir dich nicht bei {club} gesehen - wir vermissen dich! Auch "
            "ein kurzes Training zählt. Bis bald!"
        ),
        "ru": (
            "{first_name}, Вас не было в {club} уже {days} дн. Мы скучаем! Даже короткая тренировка идёт на пользу. "
            "Ждём Вас!"
        ),
        "fi": (
            "Hei {first_name}! Edellisestä käynnistäsi on kulunut {days} päivää, ja meillä on ikävä! Lyhytkin treeni "
            "kannattaa. Terveisin {club}"
        ),
        "sl": (
            "{first_name}, v {club} vas nismo videli že {days} dni. Pogrešamo vas! Tudi kratka vadba šteje. Veselimo "
            "se vašega obiska."
        ),
        "sk": (
            "{first_name}, v {club} sme Vás nevideli už {days} dní. Chýbate nám! Aj krátky tréning sa počíta. Tešíme "
            "sa na Vás."
        ),
    },
    "milestone_10": {
        "en": (
            "Well done, {first_name}! That was your {visits}th visit this membership. You're building a great habit - "
            "keep it up!"
        ),
        "de": (
            "Super, {first_name}! Das war schon dein {visits}. Besuch in dieser Mitgliedschaft. Du bist auf einem "
            "tollen Weg - weiter so!"
        ),
        "ru": (
            "{first_name}, поздравляем! Это уже Ваш {visits}-й визит по текущему абонементу. Отличное начало — так "
            "держать!"
        ),
        "fi": (
            "Hienoa, {first_name}! Tämä oli jo {visits}. käyntisi tämän jäsenyyden aikana. Hyvä tapa on syntymässä - "
            "jatka samaan malliin!"
        ),
        "sl": (
            "Čestitamo, {first_name}! To je že vaš {visits}. obisk s trenutno članarino. Odličen začetek – kar tako "
            "naprej!"
        ),
        "sk": (
            "Gratulujeme, {first_name}! Toto bola už Vaša {visits}. návšteva v rámci aktuálneho členstva. Skvelý "
            "začiatok – len tak ďalej!"
        ),
    },
    "milestone_50": {
        "en": (
            "Congratulations on your {visits}th visit this membership, {first_name}! Your consistency is impressive - "
            "keep going strong!"
        ),
        "de": (
            "Glückwunsch, {first_name}! Schon dein {visits}. Besuch in dieser Mitgliedschaft. Deine Ausdauer "
            "beeindruckt uns - bleib dran!"
        ),
        "ru": (
            "{first_name}, поздравляем с {visits}-м визитом по текущему абонементу! Ваше упорство впечатляет — "
            "продолжайте в том же духе!"
        ),
        "fi": (
            "Onnittelut, {first_name}! Tämä oli jo {visits}. käyntisi tämän jäsenyyden aikana. Sitkeytesi tekee "
            "vaikutuksen - jatka samaan malliin!"
        ),
        "sl": (
            "Čestitamo, {first_name}! Za vami je že {visits}. obisk s trenutno članarino. Vaša vztrajnost je "
            "navdihujoča – kar tako naprej!"
        ),
        "sk": (
            "Gratulujeme, {first_name}! Máte za sebou už {visits}. návštevu v rámci aktuálneho členstva. Vaša "
            "vytrvalosť je obdivuhodná – len tak ďalej!"
        ),
    },
    "milestone_100": {
        "en": (
            "Wow, {first_name}! Your {visits}th visit this membership - that's real dedication. Congratulations from "
            "all of us, we're proud of you!"
        ),
        "de": (
            "Wow, {first_name}! Dein {visits}. Besuch in dieser Mitgliedschaft - das ist echter Einsatz. Herzlichen "
            "Glückwunsch vom ganzen Team!"
        ),
        "ru": (
            "{first_name}, это уже Ваш {visits}-й визит по текущему абонементу! Поздравляем от всей команды — мы "
            "гордимся Вами!"
        ),
        "fi": (
            "Huikeaa, {first_name}! Tämä oli jo {visits}. käyntisi tämän jäsenyyden aikana. Onnittelut koko tiimiltä - "
            "olemme sinusta ylpeitä!"
        ),
        "sl": (
            "Izjemno, {first_name}! To je že vaš {visits}. obisk s trenutno članarino. Iskrene čestitke vse ekipe – "
            "ponosni smo na vas!"
        ),
        "sk": (
            "Úžasné, {first_name}! Toto je už Vaša {visits}. návšteva v rámci aktuálneho členstva. Gratuluje Vám celý "
            "tím – sme na Vás hrdí!"
        ),
    },
    "birthday": {
        "en": (
            "Happy birthday, {first_name}! Everyone at {club} wishes you a fantastic day and a healthy, strong year "
            "ahead."
        ),
        "de": (
            "Alles Gute zum Geburtstag, {first_name}! Das ganze Team von {club} wünscht dir einen tollen Tag und ein "
            "gesundes, starkes neues Lebensjahr."
        ),
        "ru": "{first_name}, с днём рождения! Команда {club} желает Вам здоровья, энергии и отличного настроения!",
        "fi": (
            "Hyvää syntymäpäivää, {first_name}! Toivotamme sinulle upeaa päivää sekä terveyttä ja voimaa tulevaan "
            "vuoteen. Terveisin {club}"
        ),
        "sl": (
            "Vse najboljše za rojstni dan, {first_name}! Ekipa {club} vam želi čudovit dan ter veliko zdravja, moči in "
            "dobre volje."
        ),
        "sk": (
            "Všetko najlepšie k narodeninám, {first_name}! Tím {club} Vám praje krásny deň a veľa zdravia, sily a "
            "dobrej nálady."
        ),
    },
    "season_newyear": {
        "en": (
            "Happy New Year, {first_name}! Goals are easier together: bring a friend to {club} for a free workout this "
            "January."
        ),
        "de": (
            "Frohes neues Jahr, {first_name}! Gemeinsam klappen Vorsätze besser: Im Januar darfst du jemanden "
            "kostenlos mitbringen. Dein Team von {club}"
        ),
        "ru": (
            "{first_name}, с Новым годом! Новые цели легче достигать вместе: в январе приводите друга в {club} на "
            "бесплатную тренировку."
        ),
        "fi": (
            "Hyvää uutta vuotta, {first_name}! Tavoitteet toteutuvat helpommin yhdessä: ota tammikuussa kaveri "
            "ilmaiseksi mukaan treeniin. Terveisin {club}"
        ),
        "sl": (
            "Srečno novo leto, {first_name}! Novoletne cilje je lažje uresničiti v dvoje: januarja lahko prijatelja "
            "brezplačno pripeljete v {club}."
        ),
        "sk": (
            "Šťastný nový rok, {first_name}! Predsavzatia sa ľahšie plnia vo dvojici: v januári si môžete do {club} "
            "zdarma priviesť kamaráta."
        ),
    },
    "season_spring": {
        "en": (
            "Hi {first_name}, summer is coming! Get ready with a free body check and a short consultation with a "
            "trainer at {club}. Ask at the desk."
        ),
        "de": (
            "Hallo {first_name}, der Sommer kommt! Mach dich bereit mit einer kostenlosen Körperanalyse und "
            "Trainingsberatung bei {club}. Frag am Empfang."
        ),
        "ru": (
            "{first_name}, лето уже близко! Приходите в {club} на бесплатный анализ состава тела и консультацию "
            "тренера. Подробности у администратора."
        ),
        "fi": (
            "Hei {first_name}, kesä lähestyy! Valmistaudu maksuttomalla kehonkoostumusmittauksella ja valmentajan "
            "neuvonnalla. Kysy vastaanotosta! Terveisin {club}"
        ),
        "sl": (
            "{first_name}, poletje se bliža! Pripravite se z brezplačno analizo telesne sestave in posvetom s "
            "trenerjem v {club}. Več informacij na recepciji."
        ),
        "sk": (
            "{first_name}, leto sa blíži! Pripravte sa s bezplatnou analýzou zloženia tela a konzultáciou s trénerom v "
            "{club}. Viac informácií na recepcii."
        ),
    },
    "season_autumn": {
        "en": (
            "Hi {first_name}, autumn restart at {club}! Our new class schedule is here - and in September you can "
            "bring a friend for free."
        ),
        "de": (
            "Hallo {first_name}, Herbststart bei {club}! Unser neuer Kursplan ist da - und im September darfst du "
            "jemanden kostenlos mitbringen."
        ),
        "ru": (
            "{first_name}, осенний старт в {club}! У нас новое расписание групповых занятий, а в сентябре можно "
            "бесплатно привести друга."
        ),
        "fi": (
            "Hei {first_name}, syyskausi alkaa! Uusi ryhmäliikunnan aikataulu on julkaistu, ja syyskuussa voit tuoda "
            "kaverin mukaan ilmaiseksi. Terveisin {club}"
        ),
        "sl": (
            "{first_name}, jesen je čas za nov začetek v {club}! Pripravili smo nov urnik skupinskih vadb, septembra "
            "pa lahko brezplačno pripeljete prijatelja."
        ),
        "sk": (
            "{first_name}, na jeseň v {club} štartujeme nanovo! Máme nový rozvrh skupinových lekcií a v septembri si "
            "môžete zdarma priviesť kamaráta."
        ),
    },
    "low_balance": {
        "en": (
            "Hi {first_name}, your {service} package is almost used up - sessions left: {balance}. Top it up at the "
            "desk to keep going."
        ),
        "de": (
            "Hallo {first_name}, dein Paket {service} ist fast aufgebraucht - verbleibende Einheiten: {balance}. Am "
            "Empfang kannst du es aufstocken."
        ),
        "ru": (
            "{first_name}, в Вашем пакете «{service}» осталось занятий: {balance}. Продлить пакет можно у "
            "администратора."
        ),
        "fi": (
            "Hei {first_name}, pakettisi {service} on loppumassa - kertoja jäljellä: {balance}. Voit täydentää sitä "
            "vastaanotossa."
        ),
        "sl": (
            "{first_name}, vaš paket {service} bo kmalu porabljen. Preostali termini: {balance}. Paket lahko "
            "podaljšate na recepciji."
        ),
        "sk": (
            "{first_name}, Váš balík {service} sa míňa. Zostávajúce vstupy: {balance}. Doplniť si ho môžete na "
            "recepcii."
        ),
    },
    "package_expiring": {
        "en": (
            "Hi {first_name}, your {service} sessions ({balance} left) expire on {expires_on}. Book them soon so none "
            "go to waste!"
        ),
        "de": (
            "Hallo {first_name}, deine Einheiten für {service} (noch {balance} übrig) verfallen am {expires_on}. Buch "
            "sie rechtzeitig, damit keine verfällt!"
        ),
        "ru": (
            "{first_name}, срок действия пакета «{service}» истекает {expires_on}, осталось занятий: {balance}. "
            "Запишитесь заранее, чтобы ничего не сгорело!"
        ),
        "fi": (
            "Hei {first_name}, pakettisi {service} vanhenee {expires_on}, kertoja jäljellä: {balance}. Varaa ajat "
            "ajoissa, ettei yksikään mene hukkaan!"
        ),
        "sl": (
            "{first_name}, paket {service} poteče {expires_on}. Preostali termini: {balance}. Rezervirajte jih "
            "pravočasno, da ne zapadejo!"
        ),
        "sk": (
            "{first_name}, platnosť Vášho balíka {service} končí {expires_on}. Zostávajúce vstupy: {balance}. "
            "Rezervujte si ich včas, nech žiadny nepropadne!"
        ),
    },
    "renewal_45": {
        "en": (
            "Hi {first_name}, your {club} membership ends on {end_date}. Renew early and keep your rhythm - ask at the "
            "desk about our renewal offer."
        ),
        "de": (
            "Hallo {first_name}, deine Mitgliedschaft bei {club} endet am {end_date}. Verlängere früh und bleib im "
            "Rhythmus - am Empfang gibt's ein Angebot dafür."
        ),
        "ru": (
            "{first_name}, Ваш абонемент в {club} заканчивается {end_date}. Продлите заранее, чтобы не сбиться с "
            "ритма, — узнайте у администратора о выгодных условиях."
        ),
        "fi": (
            "Hei {first_name}, jäsenyytesi päättyy {end_date}. Uusi se ajoissa, niin treenirytmi ei katkea - kysy "
            "vastaanotosta jatkotarjousta! Terveisin {club}"
        ),
        "sl": (
            "{first_name}, vaše članstvo v {club} poteče {end_date}. Podaljšajte ga pravočasno in ohranite ritem – na "
            "recepciji vas čaka ponudba za podaljšanje."
        ),
        "sk": (
            "{first_name}, Vaše členstvo v {club} končí {end_date}. Predĺžte si ho včas a udržte si rytmus – na "
            "recepcii sa opýtajte na ponuku na predĺženie."
        ),
    },
    "renewal_14": {
        "en": (
            "Hi {first_name}, a quick reminder: your {club} membership ends on {end_date}. You can renew at the desk "
            "on your next visit."
        ),
        "de": (
            "Hallo {first_name}, kurze Erinnerung: Deine Mitgliedschaft bei {club} endet am {end_date}. Verlängern "
            "kannst du beim nächsten Besuch am Empfang."
        ),
        "ru": (
            "{first_name}, напоминаем: Ваш абонемент в {club} заканчивается {end_date}. Продлить его можно у "
            "администратора при следующем визите."
        ),
        "fi": (
            "Hei {first_name}, muistutus: jäsenyytesi päättyy {end_date}. Voit uusia sen vastaanotossa seuraavalla "
            "käynnilläsi. Terveisin {club}"
        ),
        "sl": (
            "{first_name}, opomnik: vaše članstvo v {club} poteče {end_date}. Podaljšate ga lahko na recepciji ob "
            "naslednjem obisku."
        ),
        "sk": (
            "{first_name}, pripomíname, že Vaše členstvo v {club} končí {end_date}. Predĺžiť si ho môžete na recepcii "
            "pri najbližšej návšteve."
        ),
    },
    "freeze_ended": {
        "en": (
            "Welcome back, {first_name}! Your {club} membership is active again and now runs until {end_date}. Great "
            "to have you back!"
        ),
        "de": (
            "Willkommen zurück, {first_name}! Deine Mitgliedschaft bei {club} ist wieder aktiv und läuft bis zum "
            "{end_date}. Schön, dass du wieder da bist!"
        ),
        "ru": (
            "{first_name}, с возвращением! Заморозка закончилась, Ваш абонемент в {club} теперь действует до "
            "{end_date}. Рады снова Вас видеть!"
        ),
        "fi": (
            "Tervetuloa takaisin, {first_name}! Jäädytys on päättynyt, ja jäsenyytesi on voimassa {end_date} asti. "
            "Kiva nähdä taas! Terveisin {club}"
        ),
        "sl": (
            "Dobrodošli nazaj, {first_name}! Zamrznitev je končana, vaše članstvo v {club} zdaj velja do {end_date}. "
            "Veseli nas, da ste spet z nami!"
        ),
        "sk": (
            "Vitajte späť, {first_name}! Pozastavenie skončilo a Vaše členstvo v {club} je opäť aktívne, platí do "
            "{end_date}. Tešíme sa na Vás!"
        ),
    },
    "win_back_7": {
        "en": (
            "Hi {first_name}, your {club} membership ended a week ago and we miss you! Come by and ask about our "
            "comeback offer - we'd love to have you back."
        ),
        "de": (
            "Hallo {first_name}, deine Mitgliedschaft bei {club} ist vor einer Woche ausgelaufen - wir vermissen dich! "
            "Komm vorbei und frag nach dem Comeback-Angebot."
        ),
        "ru": (
            "{first_name}, неделю назад закончился Ваш абонемент в {club}, и нам Вас не хватает! Загляните к нам — "
            "расскажем о предложении для возвращения."
        ),
        "fi": (
            "Hei {first_name}, jäsenyytesi päättyi viikko sitten, ja meillä on jo ikävä! Tule käymään ja kysy "
            "paluutarjouksestamme. Terveisin {club}"
        ),
        "sl": (
            "{first_name}, vaše članstvo v {club} se je izteklo pred tednom dni in pogrešamo vas! Oglasite se pri nas "
            "in povprašajte po ponudbi za vrnitev."
        ),
        "sk": (
            "{first_name}, Vaše členstvo v {club} skončilo pred týždňom a chýbate nám! Zastavte sa u nás a opýtajte sa "
            "na ponuku na návrat."
        ),
    },
    "keep_in_touch": {
        "en": (
            "Hi {first_name}, there's lots going on at {club} this month: new classes and events! Ask at the desk or "
            "just come by and see."
        ),
        "de": (
            "Hallo {first_name}, diesen Monat gibt's viel Neues bei {club}: neue Kurse und Events! Frag am Empfang "
            "oder schau einfach vorbei."
        ),
        "ru": (
            "{first_name}, в этом месяце в {club} много нового: новые групповые занятия и мероприятия! Спросите "
            "администратора или просто загляните к нам."
        ),
        "fi": (
            "Hei {first_name}, tässä kuussa meillä on paljon uutta: uusia tunteja ja tapahtumia! Kysy vastaanotosta "
            "tai tule katsomaan. Terveisin {club}"
        ),
        "sl": (
            "{first_name}, ta mesec se v {club} dogaja veliko novega: nove vadbe in dogodki! Povprašajte na recepciji "
            "ali se preprosto oglasite."
        ),
        "sk": (
            "{first_name}, tento mesiac sa v {club} deje veľa nového: nové lekcie a podujatia! Opýtajte sa na recepcii "
            "alebo sa jednoducho zastavte."
        ),
    },
}

# Every text may name the member and the club; the rest are the placeholders its default text uses.
BASIC_PLACEHOLDERS = frozenset({"first_name", "club"})
PLACEHOLDERS: dict[str, frozenset[str]] = {
    key: BASIC_PLACEHOLDERS | frozenset(
        field for _, field, _, _ in string.Formatter().parse(texts["en"]) if field is not None)
    for key, texts in DEFAULT_TEXTS.items()
}
