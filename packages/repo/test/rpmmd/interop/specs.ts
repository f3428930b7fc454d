/**
 * The .spec files the createrepo_c comparison builds: each one exercises a part of createrepo_c's header
 * reading (scriptlet requires, file dependencies, weak and rich deps, conflicts and obsoletes, long
 * changelogs with shared dates, ghosts and config files, an epoch, XML-special and non-ASCII text, glibc
 * symbol requires, an empty package).
 */
import { specHead } from "./rpmbuild.ts";

const touch = (...paths: string[]) =>
  paths.map((p) => `mkdir -p "%{buildroot}$(dirname "${p}")" && echo x > "%{buildroot}${p}"`).join("\n");

/** Packages whose XML createrepo_c 0.17 and packyard must write byte for byte alike. */
export const SPECS: Record<string, string> = {
  scripts:
    specHead(
      "scripts",
      "Requires(pre): shadow-utils\nRequires(post): coreutils\nRequires(preun): procps\n" +
        "Requires(postun): findutils\nRequires(pre,postun): both-phases\nRequires: coreutils\n",
    ) +
    "%description\nScriptlets and phase requirements.\n" +
    "%pre\necho pre\n%post\necho post\n%preun\necho preun\n%postun\necho postun\n" +
    "%install\n" +
    touch("/usr/share/scripts/readme") +
    "\n%files\n/usr/share/scripts\n",

  filedeps:
    specHead(
      "filedeps",
      "AutoReqProv: no\n" +
        "Requires: /usr/bin/filedeps-tool\nRequires: /etc/filedeps.conf\nRequires: /usr/lib/sendmail\n" +
        "Requires: /opt/filedeps/data\nRequires: /usr/share/cabin/notes\nRequires: /usr/bin/python3\n" +
        "Requires: /opt/other/file\nRequires: /etc/filedeps.d\n",
    ) +
    "%description\nDependencies on its own and on foreign paths, primary and not.\n" +
    "%install\n" +
    touch(
      "/usr/bin/filedeps-tool",
      "/usr/sbin/filedeps-admin",
      "/etc/filedeps.conf",
      "/usr/lib/sendmail",
      "/opt/filedeps/data",
      "/opt/filedeps/sbin/helper",
      "/usr/share/cabin/notes",
      "/usr/lib/sendmail.d/x",
    ) +
    "\nmkdir -p %{buildroot}/etc/filedeps.d\n" +
    "%files\n/usr/bin/filedeps-tool\n/usr/sbin/filedeps-admin\n%config /etc/filedeps.conf\n/etc/filedeps.d\n" +
    "/usr/lib/sendmail\n/usr/lib/sendmail.d\n/opt/filedeps\n/usr/share/cabin\n",

  weak:
    specHead(
      "weak",
      "Recommends: rec-a\nRecommends: rec-b >= 1.0\nSuggests: sug-c\nSuggests: (sug-d or sug-e)\n" +
        "Supplements: (sup-f and sup-g)\nSupplements: sup-h\nEnhances: enh-i = 2:3.0-1\n" +
        "Requires: (rich-x >= 1 or rich-y)\nRequires: (rich-z if rich-w)\n",
    ) + "%description\nWeak and rich dependencies.\n%files\n",

  conflicts:
    specHead(
      "conflicts",
      "Conflicts: old < 2.0\nConflicts: other\nObsoletes: ancient <= 1:0.9-3\nObsoletes: gone\n" +
        "Provides: virt = 2.0\nProvides: conflicts-alias\nRequires: virt = 2.0\nRequires: virt >= 2.0\n" +
        "Requires: conflicts-alias\nRequires: dup-target\nRequires: dup-target >= 1\nRequires(post): dup-target\n",
    ) + "%description\nConflicts, obsoletes, self-satisfied and repeated requirements.\n%files\n",

  changelog: `${specHead("changelog")}%description\nMore than ten changelog entries, some on the same day.\n%files\n%changelog\n${[
    ["Sat Mar 09 2024", "Newest Person <n@example.org> - 1.0-1", "- newest & <latest>"],
    ["Fri Mar 08 2024", "Same Day <s@example.org> - 0.9-3", "- same day one"],
    ["Fri Mar 08 2024", "Same Day <s@example.org> - 0.9-2", "- same day two"],
    ["Fri Mar 08 2024", "Same Day <s@example.org> - 0.9-1", "- same day three"],
    ["Mon Feb 05 2024", "Jöhn Dœ <j@example.org> - 0.8-1", "- \"quoted\" and 'single'"],
    ["Sun Feb 04 2024", "A <a@example.org>", "- no version in the name"],
    ["Sat Feb 03 2024", "B <b@example.org> - 0.7-1", "- multi\n- line\n  continued"],
    ["Fri Feb 02 2024", "C <c@example.org> - 0.6-1", "- six"],
    ["Thu Feb 01 2024", "D <d@example.org> - 0.5-1", "- five"],
    ["Wed Jan 31 2024", "E <e@example.org> - 0.4-1", "- four"],
    ["Tue Jan 30 2024", "F <f@example.org> - 0.3-1", "- three (dropped by the limit)"],
    ["Mon Jan 29 2024", "G <g@example.org> - 0.2-1", "- two"],
    ["Sun Jan 28 2024", "H <h@example.org> - 0.1-1", "- one"],
  ]
    .map(([d, who, text]) => `* ${d} ${who}\n${text}\n`)
    .join("\n")}`,

  ghosts:
    specHead("ghosts") +
    "%description\nGhost files and directories, config files.\n" +
    "%install\n" +
    touch("/etc/ghosts.conf", "/usr/share/ghosts/defaults", "/usr/bin/ghosts") +
    "\nmkdir -p %{buildroot}/var/lib/ghosts\n" +
    "%files\n%ghost /var/log/ghosts.log\n%ghost %dir /var/run/ghosts\n%ghost /etc/ghosts.state\n" +
    "%dir /var/lib/ghosts\n%config(noreplace) /etc/ghosts.conf\n%config /usr/share/ghosts/defaults\n/usr/bin/ghosts\n",

  epoch:
    specHead("epoch", "Epoch: 3\nRequires: epoch-dep >= 2:1.0-1\nProvides: epoch-virtual = 3:1.0\n").replace(
      "Release: 1",
      "Release: 2.el9_3",
    ) + "%description\nAn epoch and a dotted release.\n%files\n",

  xmlchars:
    specHead(
      "xmlchars",
      "URL: https://example.org/?a=1&b=<2>\nVendor: A & B <vendor@example.org>\n" +
        'Packager: Jöhn Dœ <j@example.org>\nGroup: Dev/<Tools> & "more"\n',
    ).replace("xmlchars test package", `<b>bold</b> & "quotes" 'apos' ü € 😀 ]]>`) +
    "%description\nFirst line & <tag> \"quoted\" 'apos'\n\tindented with a tab, ü, €, 😀\n]]> end\n" +
    "%install\n" +
    touch("/usr/bin/amp&lt<gt>", "/etc/xmlchars/ü file.conf", "/opt/xmlchars/apos's & more") +
    '\n%files\n"/usr/bin/amp&lt<gt>"\n"/etc/xmlchars"\n"/opt/xmlchars"\n' +
    '%changelog\n* Mon Jan 01 2024 Jöhn Dœ <j@example.org> - 1.0-1\n- fixed <b> & "c" ü ]]>\n',

  libc:
    specHead(
      "libc",
      "AutoReqProv: no\nRequires: libc.so.6()(64bit)\nRequires: libc.so.6(GLIBC_2.2.5)(64bit)\n" +
        "Requires: after-libc\nRequires: libc.so.6(GLIBC_2.14)(64bit)\nRequires: libc.so.6(GLIBC_2.3.4)(64bit)\n" +
        "Requires: last-plain\n",
      { arch: true },
    ) +
    "%description\nAn architecture-specific package requiring glibc symbol versions.\n" +
    "%install\n" +
    touch("/usr/lib64/libc-test/data") +
    "\n%files\n/usr/lib64/libc-test\n",

  empty: `${specHead("empty")}%description\nNo files, no changelog, no URL, no vendor.\n%files\n`,

  tree:
    specHead("tree", "Provides: tree-virtual\nProvides: tree-cap(x) = 1.0\n") +
    "%description\nNested directories listed in header order.\n" +
    "%install\n" +
    touch(
      "/usr/share/tree/b/z",
      "/usr/share/tree/a/y",
      "/usr/share/tree/a/b/c/x",
      "/usr/libexec/tree/bin/run",
      "/srv/tree/Z",
      "/srv/tree/a",
    ) +
    "\n%files\n/usr/share/tree\n/usr/libexec/tree\n/srv/tree\n",
};

/**
 * Requirements needed at %pretrans/%posttrans: createrepo_c ≥ 1.1.1 (commit f02f17a) marks them
 * `pre="1"`, as packyard does; 0.x did not.
 */
export const TRANS_SPEC =
  specHead(
    "trans",
    "Requires(pretrans): ptr-dep\nRequires(posttrans): pto-dep\nRequires(preun): preun-dep\n",
  ) +
  "%description\nTransaction scriptlet requirements.\n%pretrans\necho pretrans\n%posttrans\necho posttrans\n%files\n";
