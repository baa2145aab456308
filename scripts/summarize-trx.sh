#!/usr/bin/env bash
# Prints, from the TRX files of a test run, every failed test with the start of its message (so that the end of a
# long CI log still says what failed and why), then one closing line "N passed, N failed, N skipped".
dir=$1
passed=0; failed=0; skipped=0
for f in "$dir"/*.trx; do
  [ -f "$f" ] || continue
  c=$(grep -o '<Counters [^>]*>' "$f" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$c"); passed=$((passed + ${p:-0}))
  x=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$c"); failed=$((failed + ${x:-0}))
  n=$(sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p' <<<"$c"); skipped=$((skipped + ${n:-0}))
  if [ "${x:-0}" != 0 ]; then
    # perl is part of every Debian system (perl-base is essential); a TRX is one XML document.
    perl -0777 -ne '
      while (m{<UnitTestResult\b([^>]*[^/>])>(.*?)</UnitTestResult>}gs) {
        my ($attrs, $body) = ($1, $2);
        next unless $attrs =~ /outcome="Failed"/;
        my ($name) = $attrs =~ /testName="([^"]*)"/;
        my ($msg) = $body =~ /<Message>(.*?)<\/Message>/s;
        $msg //= "";
        for ($name, $msg) { s/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g; s/&apos;/\x27/g; s/&#xA;/\n/g; s/&#xD;//g; s/&amp;/&/g; }
        my @lines = split /\n/, $msg;
        my $more = @lines > 12 ? "\n    … (" . (@lines - 12) . " more lines)" : "";
        print "FAILED $name\n    ", join("\n    ", @lines[0 .. ($#lines < 11 ? $#lines : 11)]), "$more\n";
      }' "$f"
  fi
done
echo "$passed passed, $failed failed, $skipped skipped"
