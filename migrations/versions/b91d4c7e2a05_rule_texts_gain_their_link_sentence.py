"""rule texts: the default texts of the ten rules that offer something gain a last sentence with the member's link
(issue 18); a club's text still exactly as the default was is moved to the new default, a text a manager edited is
left as it is (they can add {link} themselves)

Revision ID: b91d4c7e2a05
Revises: a720fdb6b7ac
Create Date: 2026-12-06 06:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b91d4c7e2a05'
down_revision = 'a720fdb6b7ac'
branch_labels = None
depends_on = None

# rule key -> locale -> [the default text before, the default text with its link sentence]: a frozen copy, so that
# this migration does the same whatever the tools' modules say later.
TEXTS = {'class_invite': {'de': ['Hallo {first_name}, Lust auf Abwechslung im Training? Probier mal was Neues aus: '
                         '{session}, {when}. Antworte mit JA, um dir einen Platz zu sichern.',
                         'Hallo {first_name}, Lust auf Abwechslung im Training? Probier mal was Neues aus: '
                         '{session}, {when}. Antworte mit JA, um dir einen Platz zu sichern. Oder hier buchen: '
                         '{link}'],
                  'en': ['Hi {first_name}, fancy a change from your usual workout? Try something new with us: '
                         '{session}, {when}. Reply YES to book your spot.',
                         'Hi {first_name}, fancy a change from your usual workout? Try something new with us: '
                         '{session}, {when}. Reply YES to book your spot. Or book here: {link}'],
                  'fi': ['Hei {first_name}! Kaipaatko vaihtelua treeniin? Tule kokeilemaan jotain uutta: {session}, '
                         '{when}. Varaa paikkasi vastaamalla KYLLÄ.',
                         'Hei {first_name}! Kaipaatko vaihtelua treeniin? Tule kokeilemaan jotain uutta: {session}, '
                         '{when}. Varaa paikkasi vastaamalla KYLLÄ. Tai varaa tästä: {link}'],
                  'ru': ['{first_name}, хотите разнообразить тренировки? Попробуйте что-то новое: {session}, {when}. '
                         'Ответьте ДА, чтобы забронировать место.',
                         '{first_name}, хотите разнообразить тренировки? Попробуйте что-то новое: {session}, {when}. '
                         'Ответьте ДА, чтобы забронировать место. Или по ссылке: {link}'],
                  'sk': ['{first_name}, máte chuť na zmenu? Vyskúšajte niečo nové: {session}, {when}. Ak si chcete '
                         'rezervovať miesto, odpovedzte ÁNO.',
                         '{first_name}, máte chuť na zmenu? Vyskúšajte niečo nové: {session}, {when}. Ak si chcete '
                         'rezervovať miesto, odpovedzte ÁNO. Alebo cez odkaz: {link}'],
                  'sl': ['{first_name}, vas mika kaj novega? Popestrite vadbo in se nam pridružite: {session}, '
                         '{when}. Za rezervacijo mesta odgovorite DA.',
                         '{first_name}, vas mika kaj novega? Popestrite vadbo in se nam pridružite: {session}, '
                         '{when}. Za rezervacijo mesta odgovorite DA. Ali rezervirajte tu: {link}']},
 'keep_in_touch': {'de': ["Hallo {first_name}, diesen Monat gibt's viel Neues bei {club}: neue Kurse und Events! "
                          'Frag am Empfang oder schau einfach vorbei.',
                          "Hallo {first_name}, diesen Monat gibt's viel Neues bei {club}: neue Kurse und Events! "
                          'Frag am Empfang oder schau einfach vorbei. Zu den Kursen: {link}'],
                   'en': ["Hi {first_name}, there's lots going on at {club} this month: new classes and events! Ask "
                          'at the desk or just come by and see.',
                          "Hi {first_name}, there's lots going on at {club} this month: new classes and events! Ask "
                          'at the desk or just come by and see. See the classes: {link}'],
                   'fi': ['Hei {first_name}, tässä kuussa meillä on paljon uutta: uusia tunteja ja tapahtumia! Kysy '
                          'vastaanotosta tai tule katsomaan. Terveisin {club}',
                          'Hei {first_name}, tässä kuussa meillä on paljon uutta: uusia tunteja ja tapahtumia! Kysy '
                          'vastaanotosta tai tule katsomaan. Katso tunnit: {link} Terveisin {club}'],
                   'ru': ['{first_name}, в этом месяце в {club} много нового: новые групповые занятия и мероприятия! '
                          'Спросите администратора или просто загляните к нам.',
                          '{first_name}, в этом месяце в {club} много нового: новые групповые занятия и мероприятия! '
                          'Спросите администратора или просто загляните к нам. Расписание: {link}'],
                   'sk': ['{first_name}, tento mesiac sa v {club} deje veľa nového: nové lekcie a podujatia! '
                          'Opýtajte sa na recepcii alebo sa jednoducho zastavte.',
                          '{first_name}, tento mesiac sa v {club} deje veľa nového: nové lekcie a podujatia! '
                          'Opýtajte sa na recepcii alebo sa jednoducho zastavte. Rozvrh: {link}'],
                   'sl': ['{first_name}, ta mesec se v {club} dogaja veliko novega: nove vadbe in dogodki! '
                          'Povprašajte na recepciji ali se preprosto oglasite.',
                          '{first_name}, ta mesec se v {club} dogaja veliko novega: nove vadbe in dogodki! '
                          'Povprašajte na recepciji ali se preprosto oglasite. Urnik: {link}']},
 'lead_trial_invite': {'de': ['Hallo {first_name}, danke für dein Interesse an {club}! Probiere ein kostenloses '
                              'Training mit Trainer: {session}, {when}. Antworte mit JA, um es zu buchen.',
                              'Hallo {first_name}, danke für dein Interesse an {club}! Probiere ein kostenloses '
                              'Training mit Trainer: {session}, {when}. Antworte mit JA, um es zu buchen. Oder hier '
                              'buchen: {link}'],
                       'en': ['Hi {first_name}, thanks for your interest in {club}! Try a free session with a '
                              'trainer: {session}, {when}. Reply YES to book it.',
                              'Hi {first_name}, thanks for your interest in {club}! Try a free session with a '
                              'trainer: {session}, {when}. Reply YES to book it. Or book here: {link}'],
                       'fi': ['Hei {first_name}, kiitos kiinnostuksestasi {club}-klubia kohtaan! Kokeile maksutonta '
                              'treeniä valmentajan kanssa: {session}, {when}. Varaa vastaamalla KYLLÄ.',
                              'Hei {first_name}, kiitos kiinnostuksestasi {club}-klubia kohtaan! Kokeile maksutonta '
                              'treeniä valmentajan kanssa: {session}, {when}. Varaa vastaamalla KYLLÄ. Tai varaa '
                              'tästä: {link}'],
                       'ru': ['{first_name}, спасибо за интерес к {club}! Приходите на бесплатное занятие с '
                              'тренером: {session}, {when}. Ответьте ДА, чтобы записаться.',
                              '{first_name}, спасибо за интерес к {club}! Приходите на бесплатное занятие с '
                              'тренером: {session}, {when}. Ответьте ДА, чтобы записаться. Или по ссылке: {link}'],
                       'sk': ['{first_name}, ďakujeme za záujem o {club}! Vyskúšajte bezplatný tréning s trénerom: '
                              '{session}, {when}. Ak si ho chcete rezervovať, odpovedzte ÁNO.',
                              '{first_name}, ďakujeme za záujem o {club}! Vyskúšajte bezplatný tréning s trénerom: '
                              '{session}, {when}. Ak si ho chcete rezervovať, odpovedzte ÁNO. Alebo cez odkaz: '
                              '{link}'],
                       'sl': ['{first_name}, hvala za zanimanje za {club}! Preizkusite brezplačen trening s '
                              'trenerjem: {session}, {when}. Za rezervacijo odgovorite DA.',
                              '{first_name}, hvala za zanimanje za {club}! Preizkusite brezplačen trening s '
                              'trenerjem: {session}, {when}. Za rezervacijo odgovorite DA. Ali rezervirajte tu: '
                              '{link}']},
 'low_balance': {'de': ['Hallo {first_name}, dein Paket {service} ist fast aufgebraucht - verbleibende Einheiten: '
                        '{balance}. Am Empfang kannst du es aufstocken.',
                        'Hallo {first_name}, dein Paket {service} ist fast aufgebraucht - verbleibende Einheiten: '
                        '{balance}. Am Empfang kannst du es aufstocken. Dein Paket: {link}'],
                 'en': ['Hi {first_name}, your {service} package is almost used up - sessions left: {balance}. Top '
                        'it up at the desk to keep going.',
                        'Hi {first_name}, your {service} package is almost used up - sessions left: {balance}. Top '
                        'it up at the desk to keep going. Your package: {link}'],
                 'fi': ['Hei {first_name}, pakettisi {service} on loppumassa - kertoja jäljellä: {balance}. Voit '
                        'täydentää sitä vastaanotossa.',
                        'Hei {first_name}, pakettisi {service} on loppumassa - kertoja jäljellä: {balance}. Voit '
                        'täydentää sitä vastaanotossa. Pakettisi: {link}'],
                 'ru': ['{first_name}, в Вашем пакете «{service}» осталось занятий: {balance}. Продлить пакет можно '
                        'у администратора.',
                        '{first_name}, в Вашем пакете «{service}» осталось занятий: {balance}. Продлить пакет можно '
                        'у администратора. Ваш пакет: {link}'],
                 'sk': ['{first_name}, Váš balík {service} sa míňa. Zostávajúce vstupy: {balance}. Doplniť si ho '
                        'môžete na recepcii.',
                        '{first_name}, Váš balík {service} sa míňa. Zostávajúce vstupy: {balance}. Doplniť si ho '
                        'môžete na recepcii. Váš balík: {link}'],
                 'sl': ['{first_name}, vaš paket {service} bo kmalu porabljen. Preostali termini: {balance}. Paket '
                        'lahko podaljšate na recepciji.',
                        '{first_name}, vaš paket {service} bo kmalu porabljen. Preostali termini: {balance}. Paket '
                        'lahko podaljšate na recepciji. Vaš paket: {link}']},
 'package_expiring': {'de': ['Hallo {first_name}, deine Einheiten für {service} (noch {balance} übrig) verfallen am '
                             '{expires_on}. Buch sie rechtzeitig, damit keine verfällt!',
                             'Hallo {first_name}, deine Einheiten für {service} (noch {balance} übrig) verfallen am '
                             '{expires_on}. Buch sie rechtzeitig, damit keine verfällt! Hier buchen: {link}'],
                      'en': ['Hi {first_name}, your {service} sessions ({balance} left) expire on {expires_on}. Book '
                             'them soon so none go to waste!',
                             'Hi {first_name}, your {service} sessions ({balance} left) expire on {expires_on}. Book '
                             'them soon so none go to waste! Book here: {link}'],
                      'fi': ['Hei {first_name}, pakettisi {service} vanhenee {expires_on}, kertoja jäljellä: '
                             '{balance}. Varaa ajat ajoissa, ettei yksikään mene hukkaan!',
                             'Hei {first_name}, pakettisi {service} vanhenee {expires_on}, kertoja jäljellä: '
                             '{balance}. Varaa ajat ajoissa, ettei yksikään mene hukkaan! Varaa tästä: {link}'],
                      'ru': ['{first_name}, срок действия пакета «{service}» истекает {expires_on}, осталось '
                             'занятий: {balance}. Запишитесь заранее, чтобы ничего не сгорело!',
                             '{first_name}, срок действия пакета «{service}» истекает {expires_on}, осталось '
                             'занятий: {balance}. Запишитесь заранее, чтобы ничего не сгорело! Записаться: {link}'],
                      'sk': ['{first_name}, platnosť Vášho balíka {service} končí {expires_on}. Zostávajúce vstupy: '
                             '{balance}. Rezervujte si ich včas, nech žiadny nepropadne!',
                             '{first_name}, platnosť Vášho balíka {service} končí {expires_on}. Zostávajúce vstupy: '
                             '{balance}. Rezervujte si ich včas, nech žiadny nepropadne! Rezervujte tu: {link}'],
                      'sl': ['{first_name}, paket {service} poteče {expires_on}. Preostali termini: {balance}. '
                             'Rezervirajte jih pravočasno, da ne zapadejo!',
                             '{first_name}, paket {service} poteče {expires_on}. Preostali termini: {balance}. '
                             'Rezervirajte jih pravočasno, da ne zapadejo! Rezervirajte tu: {link}']},
 'renewal_14': {'de': ['Hallo {first_name}, kurze Erinnerung: Deine Mitgliedschaft bei {club} endet am {end_date}. '
                       'Verlängern kannst du beim nächsten Besuch am Empfang.',
                       'Hallo {first_name}, kurze Erinnerung: Deine Mitgliedschaft bei {club} endet am {end_date}. '
                       'Verlängern kannst du beim nächsten Besuch am Empfang. Deine Mitgliedschaft: {link}'],
                'en': ['Hi {first_name}, a quick reminder: your {club} membership ends on {end_date}. You can renew '
                       'at the desk on your next visit.',
                       'Hi {first_name}, a quick reminder: your {club} membership ends on {end_date}. You can renew '
                       'at the desk on your next visit. Your membership: {link}'],
                'fi': ['Hei {first_name}, muistutus: jäsenyytesi päättyy {end_date}. Voit uusia sen vastaanotossa '
                       'seuraavalla käynnilläsi. Terveisin {club}',
                       'Hei {first_name}, muistutus: jäsenyytesi päättyy {end_date}. Voit uusia sen vastaanotossa '
                       'seuraavalla käynnilläsi. Jäsenyytesi: {link} Terveisin {club}'],
                'ru': ['{first_name}, напоминаем: Ваш абонемент в {club} заканчивается {end_date}. Продлить его '
                       'можно у администратора при следующем визите.',
                       '{first_name}, напоминаем: Ваш абонемент в {club} заканчивается {end_date}. Продлить его '
                       'можно у администратора при следующем визите. Ваш абонемент: {link}'],
                'sk': ['{first_name}, pripomíname, že Vaše členstvo v {club} končí {end_date}. Predĺžiť si ho môžete '
                       'na recepcii pri najbližšej návšteve.',
                       '{first_name}, pripomíname, že Vaše členstvo v {club} končí {end_date}. Predĺžiť si ho môžete '
                       'na recepcii pri najbližšej návšteve. Vaše členstvo: {link}'],
                'sl': ['{first_name}, opomnik: vaše članstvo v {club} poteče {end_date}. Podaljšate ga lahko na '
                       'recepciji ob naslednjem obisku.',
                       '{first_name}, opomnik: vaše članstvo v {club} poteče {end_date}. Podaljšate ga lahko na '
                       'recepciji ob naslednjem obisku. Vaše članstvo: {link}']},
 'renewal_45': {'de': ['Hallo {first_name}, deine Mitgliedschaft bei {club} endet am {end_date}. Verlängere früh und '
                       "bleib im Rhythmus - am Empfang gibt's ein Angebot dafür.",
                       'Hallo {first_name}, deine Mitgliedschaft bei {club} endet am {end_date}. Verlängere früh und '
                       "bleib im Rhythmus - am Empfang gibt's ein Angebot dafür. Dein Angebot: {link}"],
                'en': ['Hi {first_name}, your {club} membership ends on {end_date}. Renew early and keep your rhythm '
                       '- ask at the desk about our renewal offer.',
                       'Hi {first_name}, your {club} membership ends on {end_date}. Renew early and keep your rhythm '
                       '- ask at the desk about our renewal offer. Your offer: {link}'],
                'fi': ['Hei {first_name}, jäsenyytesi päättyy {end_date}. Uusi se ajoissa, niin treenirytmi ei '
                       'katkea - kysy vastaanotosta jatkotarjousta! Terveisin {club}',
                       'Hei {first_name}, jäsenyytesi päättyy {end_date}. Uusi se ajoissa, niin treenirytmi ei '
                       'katkea - kysy vastaanotosta jatkotarjousta! Tarjouksesi: {link} Terveisin {club}'],
                'ru': ['{first_name}, Ваш абонемент в {club} заканчивается {end_date}. Продлите заранее, чтобы не '
                       'сбиться с ритма, — узнайте у администратора о выгодных условиях.',
                       '{first_name}, Ваш абонемент в {club} заканчивается {end_date}. Продлите заранее, чтобы не '
                       'сбиться с ритма, — узнайте у администратора о выгодных условиях. Ваше предложение: {link}'],
                'sk': ['{first_name}, Vaše členstvo v {club} končí {end_date}. Predĺžte si ho včas a udržte si '
                       'rytmus – na recepcii sa opýtajte na ponuku na predĺženie.',
                       '{first_name}, Vaše členstvo v {club} končí {end_date}. Predĺžte si ho včas a udržte si '
                       'rytmus – na recepcii sa opýtajte na ponuku na predĺženie. Vaša ponuka: {link}'],
                'sl': ['{first_name}, vaše članstvo v {club} poteče {end_date}. Podaljšajte ga pravočasno in '
                       'ohranite ritem – na recepciji vas čaka ponudba za podaljšanje.',
                       '{first_name}, vaše članstvo v {club} poteče {end_date}. Podaljšajte ga pravočasno in '
                       'ohranite ritem – na recepciji vas čaka ponudba za podaljšanje. Vaša ponudba: {link}']},
 'season_autumn': {'de': ['Hallo {first_name}, Herbststart bei {club}! Unser neuer Kursplan ist da - und im '
                          'September darfst du jemanden kostenlos mitbringen.',
                          'Hallo {first_name}, Herbststart bei {club}! Unser neuer Kursplan ist da - und im '
                          'September darfst du jemanden kostenlos mitbringen. Zu den Kursen: {link}'],
                   'en': ['Hi {first_name}, autumn restart at {club}! Our new class schedule is here - and in '
                          'September you can bring a friend for free.',
                          'Hi {first_name}, autumn restart at {club}! Our new class schedule is here - and in '
                          'September you can bring a friend for free. See the classes: {link}'],
                   'fi': ['Hei {first_name}, syyskausi alkaa! Uusi ryhmäliikunnan aikataulu on julkaistu, ja '
                          'syyskuussa voit tuoda kaverin mukaan ilmaiseksi. Terveisin {club}',
                          'Hei {first_name}, syyskausi alkaa! Uusi ryhmäliikunnan aikataulu on julkaistu, ja '
                          'syyskuussa voit tuoda kaverin mukaan ilmaiseksi. Katso tunnit: {link} Terveisin {club}'],
                   'ru': ['{first_name}, осенний старт в {club}! У нас новое расписание групповых занятий, а в '
                          'сентябре можно бесплатно привести друга.',
                          '{first_name}, осенний старт в {club}! У нас новое расписание групповых занятий, а в '
                          'сентябре можно бесплатно привести друга. Расписание: {link}'],
                   'sk': ['{first_name}, na jeseň v {club} štartujeme nanovo! Máme nový rozvrh skupinových lekcií a '
                          'v septembri si môžete zdarma priviesť kamaráta.',
                          '{first_name}, na jeseň v {club} štartujeme nanovo! Máme nový rozvrh skupinových lekcií a '
                          'v septembri si môžete zdarma priviesť kamaráta. Rozvrh: {link}'],
                   'sl': ['{first_name}, jesen je čas za nov začetek v {club}! Pripravili smo nov urnik skupinskih '
                          'vadb, septembra pa lahko brezplačno pripeljete prijatelja.',
                          '{first_name}, jesen je čas za nov začetek v {club}! Pripravili smo nov urnik skupinskih '
                          'vadb, septembra pa lahko brezplačno pripeljete prijatelja. Urnik: {link}']},
 'trial_invite': {'de': ['Hallo {first_name}, als neues Mitglied bekommst du ein kostenloses Training mit Trainer: '
                         '{session}, {when}. Antworte mit JA, um es zu buchen.',
                         'Hallo {first_name}, als neues Mitglied bekommst du ein kostenloses Training mit Trainer: '
                         '{session}, {when}. Antworte mit JA, um es zu buchen. Oder hier buchen: {link}'],
                  'en': ['Hi {first_name}, as a new member you get a free session with a trainer: {session}, {when}. '
                         'Want to join? Reply YES to book it.',
                         'Hi {first_name}, as a new member you get a free session with a trainer: {session}, {when}. '
                         'Want to join? Reply YES to book it. Or book here: {link}'],
                  'fi': ['Hei {first_name}! Uutena jäsenenä saat maksuttoman treenin valmentajan kanssa: {session}, '
                         '{when}. Varaa paikkasi vastaamalla KYLLÄ.',
                         'Hei {first_name}! Uutena jäsenenä saat maksuttoman treenin valmentajan kanssa: {session}, '
                         '{when}. Varaa paikkasi vastaamalla KYLLÄ. Tai varaa tästä: {link}'],
                  'ru': ['{first_name}, Вас ждёт бесплатное занятие с тренером: {session}, {when}. Ответьте ДА, '
                         'чтобы записаться.',
                         '{first_name}, Вас ждёт бесплатное занятие с тренером: {session}, {when}. Ответьте ДА, '
                         'чтобы записаться. Или по ссылке: {link}'],
                  'sk': ['{first_name}, pozývame Vás na bezplatný tréning s trénerom: {session}, {when}. Ak si ho '
                         'chcete rezervovať, odpovedzte ÁNO.',
                         '{first_name}, pozývame Vás na bezplatný tréning s trénerom: {session}, {when}. Ak si ho '
                         'chcete rezervovať, odpovedzte ÁNO. Alebo cez odkaz: {link}'],
                  'sl': ['{first_name}, vabimo vas na brezplačen trening s trenerjem: {session}, {when}. Za '
                         'rezervacijo odgovorite DA.',
                         '{first_name}, vabimo vas na brezplačen trening s trenerjem: {session}, {when}. Za '
                         'rezervacijo odgovorite DA. Ali rezervirajte tu: {link}']},
 'win_back_7': {'de': ['Hallo {first_name}, deine Mitgliedschaft bei {club} ist vor einer Woche ausgelaufen - wir '
                       'vermissen dich! Komm vorbei und frag nach dem Comeback-Angebot.',
                       'Hallo {first_name}, deine Mitgliedschaft bei {club} ist vor einer Woche ausgelaufen - wir '
                       'vermissen dich! Komm vorbei und frag nach dem Comeback-Angebot. Dein Angebot: {link}'],
                'en': ['Hi {first_name}, your {club} membership ended a week ago and we miss you! Come by and ask '
                       "about our comeback offer - we'd love to have you back.",
                       'Hi {first_name}, your {club} membership ended a week ago and we miss you! Come by and ask '
                       "about our comeback offer - we'd love to have you back. Your offer: {link}"],
                'fi': ['Hei {first_name}, jäsenyytesi päättyi viikko sitten, ja meillä on jo ikävä! Tule käymään ja '
                       'kysy paluutarjouksestamme. Terveisin {club}',
                       'Hei {first_name}, jäsenyytesi päättyi viikko sitten, ja meillä on jo ikävä! Tule käymään ja '
                       'kysy paluutarjouksestamme. Tarjouksesi: {link} Terveisin {club}'],
                'ru': ['{first_name}, неделю назад закончился Ваш абонемент в {club}, и нам Вас не хватает! '
                       'Загляните к нам — расскажем о предложении для возвращения.',
                       '{first_name}, неделю назад закончился Ваш абонемент в {club}, и нам Вас не хватает! '
                       'Загляните к нам — расскажем о предложении для возвращения. Ваше предложение: {link}'],
                'sk': ['{first_name}, Vaše členstvo v {club} skončilo pred týždňom a chýbate nám! Zastavte sa u nás '
                       'a opýtajte sa na ponuku na návrat.',
                       '{first_name}, Vaše členstvo v {club} skončilo pred týždňom a chýbate nám! Zastavte sa u nás '
                       'a opýtajte sa na ponuku na návrat. Vaša ponuka: {link}'],
                'sl': ['{first_name}, vaše članstvo v {club} se je izteklo pred tednom dni in pogrešamo vas! '
                       'Oglasite se pri nas in povprašajte po ponudbi za vrnitev.',
                       '{first_name}, vaše članstvo v {club} se je izteklo pred tednom dni in pogrešamo vas! '
                       'Oglasite se pri nas in povprašajte po ponudbi za vrnitev. Vaša ponudba: {link}']}}

RULE = sa.table("rule", sa.column("id", sa.Integer), sa.column("key", sa.String), sa.column("texts", sa.JSON))


def _move(before: int, after: int) -> None:
    """Replace, in every club's rule of TEXTS, each text equal to the pair's BEFORE side with its AFTER side."""
    conn = op.get_bind()
    for rule_id, key, texts in conn.execute(sa.select(RULE.c.id, RULE.c.key, RULE.c.texts)
                                            .where(RULE.c.key.in_(sorted(TEXTS)))).all():
        texts = dict(texts or {})
        changed = False
        for locale, pair in TEXTS[key].items():
            if texts.get(locale) == pair[before]:
                texts[locale] = pair[after]
                changed = True
        if changed:
            conn.execute(sa.update(RULE).where(RULE.c.id == rule_id).values(texts=texts))


def upgrade():
    _move(0, 1)


def downgrade():
    _move(1, 0)
