namespace Alignment.Training.Evaluation;

/// <summary>
/// The Porter stemmer (M. F. Porter, "An algorithm for suffix stripping", 1980) with the departures of NLTK's
/// <c>PorterStemmer</c> in its default mode (NLTK_EXTENSIONS), which is what <c>rouge-score</c> stems with:
/// <list type="bullet">
/// <item>a few irregular forms map directly (skies → sky, dying → die, lying → lie, tying → tie, innings → inning,
/// outings → outing, cannings → canning; news, howe, proceed, exceed, succeed stay);</item>
/// <item>words of at most 2 letters stay;</item>
/// <item>step 1a: a 4-letter word in -ies loses only the s (dies → die); step 1b: -ied becomes -ie in a 4-letter word and
/// -i otherwise (died → die, denied → deni);</item>
/// <item>the *o condition (consonant–vowel–consonant, last not w, x, y) also holds for a 2-letter vowel–consonant stem;</item>
/// <item>step 1c: y → i only after a consonant that is not the word's first letter;</item>
/// <item>step 2: -alli → -al is tried first and the result goes through step 2 again; -bli → -ble (not -abli → -able);
/// and two rules more: -fulli → -ful, and -logi → -log when the stem with its l has m &gt; 0.</item>
/// </list>
/// Input is expected in lowercase (the ROUGE tokenizer lowercases first).
/// </summary>
public static class PorterStemmer
{
    private static readonly Dictionary<string, string> Irregular = new(StringComparer.Ordinal)
    {
        ["sky"] = "sky", ["skies"] = "sky", ["dying"] = "die", ["lying"] = "lie", ["tying"] = "tie", ["news"] = "news",
        ["innings"] = "inning", ["inning"] = "inning", ["outings"] = "outing", ["outing"] = "outing",
        ["cannings"] = "canning", ["canning"] = "canning", ["howe"] = "howe", ["proceed"] = "proceed",
        ["exceed"] = "exceed", ["succeed"] = "succeed",
    };

    /// <summary>A rule: when the word ends with <c>Suffix</c>, the rest is the stem; if <c>Condition</c> holds for it
    /// the result is stem + <c>Replacement</c>, else the word stays. Either way no later rule of the list is tried.</summary>
    private readonly record struct Rule(string Suffix, string Replacement, Func<string, bool>? Condition);

    public static string Stem(string word)
    {
        if (Irregular.TryGetValue(word, out string? irregular)) return irregular;
        if (word.Length <= 2) return word;
        word = Step1a(word);
        word = Step1b(word);
        word = Step1c(word);
        word = Step2(word);
        word = Step3(word);
        word = Step4(word);
        word = Step5a(word);
        return Step5b(word);
    }

    /// <summary>a, e, i, o, u are vowels; y is a vowel after a consonant; every other letter is a consonant.</summary>
    private static bool IsConsonant(string w, int i) => w[i] switch
    {
        'a' or 'e' or 'i' or 'o' or 'u' => false,
        'y' => i == 0 || !IsConsonant(w, i - 1),
        _ => true,
    };

    /// <summary>m: how many vowel-run → consonant-run transitions the stem has ([C](VC)^m[V]).</summary>
    private static int Measure(string stem)
    {
        int m = 0;
        for (int i = 1; i < stem.Length; i++)
            if (IsConsonant(stem, i) && !IsConsonant(stem, i - 1)) m++;
        return m;
    }

    private static bool PositiveMeasure(string stem) => Measure(stem) > 0;

    private static bool ContainsVowel(string stem) => Enumerable.Range(0, stem.Length).Any(i => !IsConsonant(stem, i));

    private static bool EndsDoubleConsonant(string w) => w.Length >= 2 && w[^1] == w[^2] && IsConsonant(w, w.Length - 1);

    /// <summary>*o: consonant–vowel–consonant at the end, the last not w, x or y; or a 2-letter vowel–consonant word.</summary>
    private static bool EndsCvc(string w) =>
        (w.Length >= 3 && IsConsonant(w, w.Length - 3) && !IsConsonant(w, w.Length - 2) && IsConsonant(w, w.Length - 1) && w[^1] is not ('w' or 'x' or 'y'))
        || (w.Length == 2 && !IsConsonant(w, 0) && IsConsonant(w, 1));

    private static string Apply(string word, IEnumerable<Rule> rules)
    {
        foreach (var (suffix, replacement, condition) in rules)
        {
            if (!word.EndsWith(suffix, StringComparison.Ordinal)) continue;
            string stem = word[..^suffix.Length];
            return condition is null || condition(stem) ? stem + replacement : word;
        }
        return word;
    }

    private static string Step1a(string w) =>
        w.Length == 4 && w.EndsWith("ies", StringComparison.Ordinal) ? w[..^1]
            : Apply(w, [new("sses", "ss", null), new("ies", "i", null), new("ss", "ss", null), new("s", "", null)]);

    private static string Step1b(string w)
    {
        if (w.EndsWith("ied", StringComparison.Ordinal)) return w.Length == 4 ? w[..^1] : w[..^2];
        if (w.EndsWith("eed", StringComparison.Ordinal)) return PositiveMeasure(w[..^3]) ? w[..^1] : w;
        string? stem = null;
        foreach (string suffix in new[] { "ed", "ing" })
            if (w.EndsWith(suffix, StringComparison.Ordinal) && ContainsVowel(w[..^suffix.Length]))
            {
                stem = w[..^suffix.Length];
                break;
            }
        if (stem is null) return w;
        if (stem.EndsWith("at", StringComparison.Ordinal) || stem.EndsWith("bl", StringComparison.Ordinal) || stem.EndsWith("iz", StringComparison.Ordinal))
            return stem + "e";
        if (EndsDoubleConsonant(stem)) return stem[^1] is 'l' or 's' or 'z' ? stem : stem[..^1];
        return Measure(stem) == 1 && EndsCvc(stem) ? stem + "e" : stem;
    }

    private static string Step1c(string w) =>
        Apply(w, [new("y", "i", stem => stem.Length > 1 && IsConsonant(stem, stem.Length - 1))]);

    private static string Step2(string w)
    {
        if (w.EndsWith("alli", StringComparison.Ordinal) && PositiveMeasure(w[..^4])) return Step2(w[..^4] + "al");
        Func<string, bool> m0 = PositiveMeasure;
        return Apply(w,
        [
            new("ational", "ate", m0), new("tional", "tion", m0), new("enci", "ence", m0), new("anci", "ance", m0),
            new("izer", "ize", m0), new("bli", "ble", m0), new("alli", "al", m0), new("entli", "ent", m0),
            new("eli", "e", m0), new("ousli", "ous", m0), new("ization", "ize", m0), new("ation", "ate", m0),
            new("ator", "ate", m0), new("alism", "al", m0), new("iveness", "ive", m0), new("fulness", "ful", m0),
            new("ousness", "ous", m0), new("aliti", "al", m0), new("iviti", "ive", m0), new("biliti", "ble", m0),
            new("fulli", "ful", m0), new("logi", "log", _ => PositiveMeasure(w[..^3])),
        ]);
    }

    private static string Step3(string w)
    {
        Func<string, bool> m0 = PositiveMeasure;
        return Apply(w,
        [
            new("icate", "ic", m0), new("ative", "", m0), new("alize", "al", m0), new("iciti", "ic", m0),
            new("ical", "ic", m0), new("ful", "", m0), new("ness", "", m0),
        ]);
    }

    private static string Step4(string w)
    {
        Func<string, bool> m1 = stem => Measure(stem) > 1;
        return Apply(w,
        [
            new("al", "", m1), new("ance", "", m1), new("ence", "", m1), new("er", "", m1), new("ic", "", m1),
            new("able", "", m1), new("ible", "", m1), new("ant", "", m1), new("ement", "", m1), new("ment", "", m1),
            new("ent", "", m1), new("ion", "", stem => Measure(stem) > 1 && stem.Length > 0 && stem[^1] is 's' or 't'),
            new("ou", "", m1), new("ism", "", m1), new("ate", "", m1), new("iti", "", m1), new("ous", "", m1),
            new("ive", "", m1), new("ize", "", m1),
        ]);
    }

    private static string Step5a(string w)
    {
        if (!w.EndsWith('e')) return w;
        string stem = w[..^1];
        int m = Measure(stem);
        return m > 1 || (m == 1 && !EndsCvc(stem)) ? stem : w;
    }

    private static string Step5b(string w) => Apply(w, [new("ll", "l", _ => Measure(w[..^1]) > 1)]);
}
