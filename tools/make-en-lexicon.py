#!/usr/bin/env python3
"""Write data/lexicon/en.txt (word classes for the English tagger) from WordNet 3.0.

Inputs: Debian wordnet-base (/usr/share/wordnet: index.*, *.exc, cntlist.rev) and Debian
wamerican (/usr/share/dict/american-english, SCOWL) as a filter of real, common word forms.
usage: tools/make-en-lexicon.py tools/en-lexicon-header.txt data/lexicon/en.txt
(after apt-get install wordnet-base wamerican)
"""
import collections, re, sys

WN = '/usr/share/wordnet/'
POS = {'n': 'noun', 'v': 'verb', 'a': 'adj', 'r': 'adv'}
DOMINANCE = 10  # a noun-and-verb form is a verb when SemCor tags its verb senses 10x more


def load():
    lemmas = {p: set() for p in POS}
    for p, name in POS.items():
        for line in open(WN + 'index.' + name, encoding='latin-1'):
            w = line.split(' ', 1)[0]
            if not line.startswith(' ') and re.fullmatch(r"[a-z][a-z-]*[a-z]", w):
                lemmas[p].add(w)
    cnt = {p: collections.Counter() for p in POS}
    tnum = {'1': 'n', '2': 'v', '3': 'a', '4': 'r', '5': 'a'}
    for line in open(WN + 'cntlist.rev', encoding='latin-1'):
        key, _, c = line.split()
        lem, rest = key.split('%', 1)
        cnt[tnum[rest[0]]][lem] += int(c)
    exc = {p: collections.defaultdict(set) for p in POS}
    for p, name in POS.items():
        for line in open(WN + name + '.exc', encoding='latin-1'):
            f = line.split()
            for b in f[1:]:
                exc[p][f[0]].add(b)
    return lemmas, cnt, exc


# WordNet's morphy detachment rules
RULES = {
    'n': [('s', ''), ('ses', 's'), ('xes', 'x'), ('zes', 'z'), ('ches', 'ch'), ('shes', 'sh'),
          ('men', 'man'), ('ies', 'y')],
    'v': [('s', ''), ('ies', 'y'), ('es', 'e'), ('es', ''), ('ed', 'e'), ('ed', ''),
          ('ing', 'e'), ('ing', '')],
    'a': [('er', ''), ('est', ''), ('er', 'e'), ('est', 'e')],
    'r': [],
}


def bases(w, p, lemmas, exc):
    out = {w} & lemmas[p]
    out |= {b for b in exc[p].get(w, ()) if b in lemmas[p]}
    for suf, rep in RULES[p]:
        if w.endswith(suf) and len(w) > len(suf) + 1 and w[:-len(suf)] + rep in lemmas[p]:
            out.add(w[:-len(suf)] + rep)
    return out


def inflect(b, p):
    """Regular inflections of lemma b (over-generation is harmless: forms are filtered)."""
    fs = {b}
    if p not in 'nva':
        return fs
    if p == 'a':
        stem = b[:-1] + 'i' if re.search(r'[^aeiou]y$', b) else b[:-1] if b.endswith('e') else b
        return fs | {stem + 'er', stem + 'est'}
    if re.search(r'(s|x|z|ch|sh)$', b):
        fs.add(b + 'es')
    elif re.search(r'[^aeiou]y$', b):
        fs.add(b[:-1] + 'ies')
    else:
        fs.add(b + 's')
    if p == 'v':
        if b.endswith('e'):
            fs |= {b + 'd', b + 'ing' if re.search(r'(ee|ye|oe)$', b) else b[:-1] + 'ing'}
        elif re.search(r'[^aeiou]y$', b):
            fs |= {b[:-1] + 'ied', b + 'ing'}
        else:
            fs |= {b + 'ed', b + 'ing'}
    return fs


def classify(w, lemmas, cnt, exc):
    """'verb', 'gerund', 'adj', 'adv' or None (may be a noun, or is left to the rules)."""
    r = {}
    for p in POS:
        bs = bases(w, p, lemmas, exc) if p != 'r' else {w} & lemmas['r']
        if bs:
            r[p] = (bs, sum(cnt[p][b] for b in bs))
    if not r:
        return None
    n, v, a = r.get('n'), r.get('v'), r.get('a')
    nc = (n[1] if n else 0) + (a[1] if a else 0)
    participle = w.endswith('ed') or w.endswith('ing')
    same_lemma = (n[0] if n else set()) | (a[0] if a else set()) <= (v[0] if v else set())
    verb_dominant = v and not participle and same_lemma and v[1] >= DOMINANCE * (nc + 1)
    if (n or a) and not verb_dominant:
        return None if n else 'adj'
    if v:
        return 'gerund' if w.endswith('ing') else None if w.endswith('ed') else 'verb'
    return 'adv' if 'r' in r else None


def main():
    header, out = sys.argv[1], sys.argv[2]
    lemmas, cnt, exc = load()
    common = set(open('/usr/share/dict/american-english', encoding='utf-8').read().split())
    stop = set(l.strip() for l in open('data/stopwords/en.txt') if not l.startswith('#'))
    forms = set()
    for p in POS:
        forms |= set(exc[p])
        for b in lemmas[p]:
            forms |= inflect(b, p)
    classes = collections.defaultdict(list)
    for w in sorted(forms):
        if len(w) < 3 or '-' in w or w not in common or w in stop:
            continue
        c = classify(w, lemmas, cnt, exc)
        ruled = len(w) >= 5 and (w.endswith('ly') or (w.endswith('ed') and not w.endswith('eed')))
        if c and not (ruled and c in ('adj', 'adv')):  # the tagger's -ly/-ed rules cover those
            classes[c].append(w)
    with open(out, 'w') as f:
        f.write(open(header).read())
        for c in ('verb', 'gerund', 'adj', 'adv'):
            f.write('[%s]\n' % c)
            f.writelines(w + '\n' for w in classes[c])
    print({c: len(v) for c, v in classes.items()})


main()
