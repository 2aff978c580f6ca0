function __gretool_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __gretool_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __gretool_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __gretool_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __gretool_parse_tokens -S
    set -l unparsed_tokens (__gretool_tokens -pc)
    switch $unparsed_tokens[1]
    case 'gretool'
        __gretool_parse_subcommand 0 'j' 'p' 'd' 's' 'o' '4' '6' 'f=' 'N' 'l=' 'n=' 'b=' 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'address'
            __gretool_parse_subcommand -r 2 'version' 'h/help'
        case 'route'
            __gretool_parse_subcommand -r 2 'version' 'h/help'
        case 'rule'
            __gretool_parse_subcommand -r 2 'version' 'h/help'
        case 'link'
            __gretool_parse_subcommand -r 2 'version' 'h/help'
        case 'tunnel'
            __gretool_parse_subcommand -r 2 'version' 'h/help'
        case 'nexthop'
            __gretool_parse_subcommand -r 2 'version' 'h/help'
        case 'keepalive'
            __gretool_parse_subcommand -r 2 'version' 'h/help'
        case 'diag'
            __gretool_parse_subcommand -r 2 'version' 'h/help'
        case 'apply'
            __gretool_parse_subcommand -r 2 'version' 'h/help'
        case 'state'
            __gretool_parse_subcommand -r 2 'version' 'h/help'
        case 'help'
            __gretool_parse_subcommand -r 1 'version'
        end
    end
end

function __gretool_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __gretool_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __gretool_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __gretool_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__gretool_tokens -p)
    if test -z "$(__gretool_tokens -t)"
        set -l index (count (__gretool_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'gretool' -f
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool" j json' -s 'j' -o 'json' -d 'JSON output (iproute2\'s keys).'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool" p pretty' -s 'p' -o 'pretty' -d 'Indent JSON output.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool" d details' -s 'd' -o 'details' -d 'Show details (all tunnel options).'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool"' -s 's' -o 'stats' -o 'statistics' -d 'Show statistics; twice for error counters.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool" o oneline' -s 'o' -o 'oneline' -d 'One line per object (a backslash where its text would break).'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool" brief' -o 'brief' -d 'Links and addresses in brief: name, state and addresses (or MAC and flags).'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool" 4' -s '4' -d 'IPv4 only (addresses, routes, rules, nexthops).'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool" 6' -s '6' -d 'IPv6 only (addresses, routes, rules, nexthops).'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool" f family' -s 'f' -o 'family' -d 'inet (as -4) or inet6 (as -6).' -rfka 'inet inet6'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool" human human-readable' -o 'human' -o 'human-readable' -d 'With -s, counters in human units (1.2k, 3.4M; -h is this, not help, as in iproute2).'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool" iec' -o 'iec' -d 'With -human, powers of 1024 (1.20ki) rather than of 1000.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool" N Numeric' -s 'N' -o 'Numeric' -d 'Numbers where ip has names: tables, protocols, scopes, realms, DS fields, types, groups.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool" l loops' -s 'l' -o 'loops' -d 'Rounds an address flush makes at most (default 10; 0: until none is left).' -rfka ''
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool" rcvbuf' -o 'rcvbuf' -d 'The netlink socket\'s receive buffer in bytes (default 1 MiB).' -rfka ''
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool" color' -o 'color' -d 'never: plain text, which is all gretool prints (other values are refused).' -rfka 'never'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool" n netns' -s 'n' -o 'netns' -d 'Run in network namespace NETNS (/run/netns/NETNS).' -rfka '(__gretool_custom_completion ---completion -- -netns (count (__gretool_tokens -pc)) (__gretool_tokens -tC))'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool" b batch' -s 'b' -o 'batch' -d 'Read commands from FILE, one per line (- for standard input).' -rF
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool" force' -o 'force' -d 'With -batch: go on after a failed line.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool" version' -l 'version' -d 'Show the version.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool" -eq 1' -fa 'address' -d 'IPv4 and IPv6 addresses of the links'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool" -eq 1' -fa 'route' -d 'routes: unicast, blackhole and the like, ECMP multipath, nexthop objects'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool" -eq 1' -fa 'rule' -d 'policy routing rules: which table a packet looks up'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool" -eq 1' -fa 'link' -d 'network devices: GRE tunnels and the links around them'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool" -eq 1' -fa 'tunnel' -d 'GRE tunnels in `ip tunnel` syntax'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool" -eq 1' -fa 'nexthop' -d 'nexthop objects and groups, which routes use by id'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool" -eq 1' -fa 'keepalive' -d 'Cisco-compatible GRE keepalives: watch tunnels, probe a peer, answer as a peer'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool" -eq 1' -fa 'diag' -d 'diagnose tunnels: MTU sizing, recursive routing, keepalive readiness, options, IPsec'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool" -eq 1' -fa 'apply' -d 'make the kernel what files declare (the words of batch files, or the JSON of state show)'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool" -eq 1' -fa 'state' -d 'the live state as an apply file (batch words, or JSON with -j), or as other tools\' files'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool address" -eq 1' -fka 'add change chg replace delete del show list lst flush'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool address" -ge 2' -fka '(__gretool_custom_completion ---completion address -- positional@1 (count (__gretool_tokens -pc)) (__gretool_tokens -tC))'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool address" version' -l 'version' -d 'Show the version.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool address" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool route" -eq 1' -fka 'add change chg replace prepend append delete del show list lst get flush'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool route" -ge 2' -fka '(__gretool_custom_completion ---completion route -- positional@1 (count (__gretool_tokens -pc)) (__gretool_tokens -tC))'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool route" version' -l 'version' -d 'Show the version.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool route" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool rule" -eq 1' -fka 'show list lst add delete del flush'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool rule" -ge 2' -fka '(__gretool_custom_completion ---completion rule -- positional@1 (count (__gretool_tokens -pc)) (__gretool_tokens -tC))'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool rule" version' -l 'version' -d 'Show the version.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool rule" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool link" -eq 1' -fka 'add change set delete del show list lst'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool link" -ge 2' -fka '(__gretool_custom_completion ---completion link -- positional@1 (count (__gretool_tokens -pc)) (__gretool_tokens -tC))'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool link" version' -l 'version' -d 'Show the version.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool link" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool tunnel" -eq 1' -fka 'add change delete del show list lst'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool tunnel" -ge 2' -fka '(__gretool_custom_completion ---completion tunnel -- positional@1 (count (__gretool_tokens -pc)) (__gretool_tokens -tC))'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool tunnel" version' -l 'version' -d 'Show the version.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool tunnel" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool nexthop" -eq 1' -fka 'add replace delete del show list lst get flush bucket'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool nexthop" -ge 2' -fka '(__gretool_custom_completion ---completion nexthop -- positional@1 (count (__gretool_tokens -pc)) (__gretool_tokens -tC))'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool nexthop" version' -l 'version' -d 'Show the version.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool nexthop" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool keepalive" -eq 1' -fka 'watch restore probe status respond'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool keepalive" -ge 2' -fka '(__gretool_custom_completion ---completion keepalive -- positional@1 (count (__gretool_tokens -pc)) (__gretool_tokens -tC))'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool keepalive" version' -l 'version' -d 'Show the version.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool keepalive" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool diag" -eq 1' -fka 'mtu route keepalive config ipsec all'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool diag" -ge 2' -fka '(__gretool_custom_completion ---completion diag -- positional@1 (count (__gretool_tokens -pc)) (__gretool_tokens -tC))'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool diag" version' -l 'version' -d 'Show the version.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool diag" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool apply" -eq 1' -fka 'file'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool apply" -ge 2' -fka '(__gretool_custom_completion ---completion apply -- positional@1 (count (__gretool_tokens -pc)) (__gretool_tokens -tC))'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool apply" version' -l 'version' -d 'Show the version.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool apply" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool state" -eq 1' -fka 'show list lst export'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_positional "gretool state" -ge 2' -fka '(__gretool_custom_completion ---completion state -- positional@1 (count (__gretool_tokens -pc)) (__gretool_tokens -tC))'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool state" version' -l 'version' -d 'Show the version.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool state" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'gretool' -n '__gretool_should_offer_completions_for_flags_or_options "gretool help" version' -l 'version' -d 'Show the version.'
