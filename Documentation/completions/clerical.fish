function __clerical_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __clerical_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __clerical_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __clerical_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __clerical_parse_tokens -S
    set -l unparsed_tokens (__clerical_tokens -pc)
    switch $unparsed_tokens[1]
    case 'clerical'
        __clerical_parse_subcommand 0 'h/help'
        switch $unparsed_tokens[1]
        case 'demo'
            __clerical_parse_subcommand 0 'queue=' 'no-review' 'h/help'
        case 'import'
            __clerical_parse_subcommand 2 'model=' 'review-probability=' 'review-weight=' 'h/help'
        case 'status'
            __clerical_parse_subcommand 1 'json' 'h/help'
        case 'review'
            __clerical_parse_subcommand 1 'theme=' 'blind' 'mask' 'by-record' 'adjudicate' 'h/help'
        case 'reestimate'
            __clerical_parse_subcommand 1 'json' 'max-iterations=' 'tolerance=' 'fix-u' 'condition-on-candidates' 'target-fmr=' 'target-fnmr=' 'decide-outside-band' 'model=' 'every=' 'h/help'
        case 'simulate'
            __clerical_parse_subcommand 1 'truth=' 'decisions=' 'reviewers=' 'error-rate=' 'reestimate-every=' 'order=' 'seed=' 'model=' 'audit-share=' 'audit-allocation=' 'keep-queue=' 'json' 'h/help'
        case 'export'
            __clerical_parse_subcommand 0 'h/help'
            switch $unparsed_tokens[1]
            case 'labels'
                __clerical_parse_subcommand 2 'include-unsure' 'h/help'
            case 'model'
                __clerical_parse_subcommand 2 'include-u' 'include-lambda' 'h/help'
            case 'decisions'
                __clerical_parse_subcommand 2 'h/help'
            case 'links'
                __clerical_parse_subcommand 2 'clusters' 'h/help'
            end
        case 'verify'
            __clerical_parse_subcommand 1 'h/help'
        case 'reviewers'
            __clerical_parse_subcommand 0 'h/help'
            switch $unparsed_tokens[1]
            case 'add'
                __clerical_parse_subcommand 2 'role=' 'h/help'
            case 'list'
                __clerical_parse_subcommand 1 'h/help'
            case 'remove'
                __clerical_parse_subcommand 2 'h/help'
            case 'reserve'
                __clerical_parse_subcommand 2 'band=' 'share=' 'h/help'
            case 'unreserve'
                __clerical_parse_subcommand 2 'h/help'
            case 'mask'
                __clerical_parse_subcommand 2 'h/help'
            end
        case 'qa'
            __clerical_parse_subcommand 0 'h/help'
            switch $unparsed_tokens[1]
            case 'sample'
                __clerical_parse_subcommand 1 'fraction=' 'count=' 'stratify=' 'seed=' 'h/help'
            case 'report'
                __clerical_parse_subcommand 1 'json' 'h/help'
            case 'audit'
                __clerical_parse_subcommand 1 'count=' 'fraction=' 'stratify=' 'allocation=' 'share=' 'seed=' 'h/help'
            case 'quality'
                __clerical_parse_subcommand 1 'json' 'h/help'
            end
        case 'dashboard'
            __clerical_parse_subcommand 1 'h/help'
        case 'import-labels'
            __clerical_parse_subcommand 2 'reviewer=' 'h/help'
        case 'copy'
            __clerical_parse_subcommand 2 'h/help'
        case 'help'
            __clerical_parse_subcommand -r 1 
        end
    end
end

function __clerical_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __clerical_parse_subcommand -S -a positional_count
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

function __clerical_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __clerical_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__clerical_tokens -p)
    if test -z "$(__clerical_tokens -t)"
        set -l index (count (__clerical_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'clerical' -f
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical" -eq 1' -fa 'demo' -d 'Import the bundled sample queue into a fresh queue file and open it for review.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical" -eq 1' -fa 'import' -d 'Import Splink predictions into a review queue (created if missing).'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical" -eq 1' -fa 'status' -d 'Show a queue\'s progress, its model and its decisions.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical" -eq 1' -fa 'review' -d 'Review pairs in the terminal: m match, n non-match, u unsure, ? for every key.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical" -eq 1' -fa 'reestimate' -d 'Re-estimate m, u and λ from every pair and every verdict; re-score and re-order the queue.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical" -eq 1' -fa 'simulate' -d 'Simulate reviewers deciding from a truth file, and print the learning curve.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical" -eq 1' -fa 'export' -d 'Write the queue\'s labels, model or decisions for other tools.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical" -eq 1' -fa 'verify' -d 'Check a queue: SQLite integrity, the append-only triggers and the decision and reveal hash chains.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical" -eq 1' -fa 'reviewers' -d 'Register the accounts that may work on a queue, and their roles.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical" -eq 1' -fa 'qa' -d 'Blind second review: sample decided pairs, and measure agreement.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical" -eq 1' -fa 'dashboard' -d 'Supervisors: the queue live — progress, reviewers, claims, the model; expire or reassign a claim.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical" -eq 1' -fa 'import-labels' -d 'Import a Splink labels table as review decisions.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical" -eq 1' -fa 'copy' -d 'Move a queue between a SQLite file and a PostgreSQL schema, in either direction.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical demo" queue' -l 'queue' -d 'Where to write the demo queue (default: a new file in the temporary folder).' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical demo" no-review' -l 'no-review' -d 'Import and print the queue\'s status instead of opening the review screen.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical demo" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical import" model' -l 'model' -d 'The Splink model JSON (linker.misc.save_model_to_json).' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical import" review-probability' -l 'review-probability' -d 'Review pairs with match probability in LOW:HIGH (default 0.05:0.95).' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical import" review-weight' -l 'review-weight' -d 'Review pairs with match weight in LOW:HIGH instead.' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical import" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical status" json' -l 'json' -d 'Print JSON with stable keys (see README.md).'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical status" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical review" theme' -l 'theme' -d 'A built-in theme (default, high-contrast, colour-blind-safe, monochrome) or a theme file.' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical review" blind' -l 'blind' -d 'Hide the model\'s evidence (scores, weights, levels) to avoid anchoring on them.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical review" mask' -l 'mask' -d 'Mask values: show only the characters that differ; r and R reveal a row or the pair, and every reveal is logged.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical review" by-record' -l 'by-record' -d 'One record at a time with all its pending candidates: 1–9 the match, n none, then Enter (the others are non-matches) or k (they stay undecided).'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical review" adjudicate' -l 'adjudicate' -d 'Quality leads: settle disputed pairs (first and second review disagree); your verdict is final.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical review" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical reestimate" json' -l 'json' -d 'Print the report as JSON.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical reestimate" max-iterations' -l 'max-iterations' -d 'Stop after this many EM iterations.' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical reestimate" tolerance' -l 'tolerance' -d 'Converged when no m, u or λ moves more than this.' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical reestimate" fix-u' -l 'fix-u' -d 'Keep u as it is; estimate m and λ only.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical reestimate" condition-on-candidates' -l 'condition-on-candidates' -d 'With --model independent or dependent: fit each class over the comparison vectors the queue holds (the candidate set), not over every vector. auto weighs both.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical reestimate" target-fmr' -l 'target-fmr' -d 'False-match rate the suggested upper threshold keeps under.' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical reestimate" target-fnmr' -l 'target-fnmr' -d 'Missed-match rate the suggested lower threshold keeps under.' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical reestimate" decide-outside-band' -l 'decide-outside-band' -d 'Let the model decide pending pairs that fall outside the review band.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical reestimate" model' -l 'model' -d 'independent: Fellegi–Sunter m, u and λ conditional on the candidate set; dependent: that model with a correction for interactions learned from verdicts; auto: whichever of the imported, independent and dependent models best predicts verdicts it was not fitted on (5-fold cross-validation; the imported model stays until there are 20 verdicts of both classes).' -rfka 'independent dependent auto'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical reestimate" every' -l 'every' -d 'Re-estimate automatically after every N verdicts (0 turns it off), then exit. On a server: re-estimate after every N verdicts until stopped.' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical reestimate" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical simulate" truth' -l 'truth' -d 'Ground truth: unique_id_l,unique_id_r,is_match (+ source_dataset_l,source_dataset_r), plain or gzip-compressed.' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical simulate" decisions' -l 'decisions' -d 'Verdicts to give in all.' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical simulate" reviewers' -l 'reviewers' -d 'Simulated reviewers, taking turns.' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical simulate" error-rate' -l 'error-rate' -d 'Share of verdicts given wrong on purpose, in [0, 1].' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical simulate" reestimate-every' -l 'reestimate-every' -d 'Re-estimate after every M verdicts (0: never), as a queue set to reestimate --every M does.' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical simulate" order' -l 'order' -d 'uncertainty (the queue\'s order) or random.' -rfka 'uncertainty random'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical simulate" seed' -l 'seed' -d 'Seed for the random choices.' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical simulate" model' -l 'model' -d 'The model each re-estimation keeps (as reestimate --model).' -rfka 'independent dependent auto'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical simulate" audit-share' -l 'audit-share' -d 'Share of the verdicts that go to audit pairs, drawn as qa audit draws them, in [0, 1].' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical simulate" audit-allocation' -l 'audit-allocation' -d 'How the audit splits its sample across strata: proportional or neyman (as qa audit --allocation).' -rfka 'proportional neyman'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical simulate" keep-queue' -l 'keep-queue' -d 'Keep the simulated queue in this new file (for Benchmarks/pattern_errors.py).' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical simulate" json' -l 'json' -d 'Print the report as JSON.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical simulate" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical export" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical export" -eq 1' -fa 'labels' -d 'Splink\'s labels table (register_labels_table): final verdicts, match 1.0, non-match 0.0.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical export" -eq 1' -fa 'model' -d 'The imported Splink model JSON with re-estimated m; every other key as imported.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical export" -eq 1' -fa 'decisions' -d 'Every decision row: pair, reviewer, kind, verdict, note, time, and the score shown.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical export" -eq 1' -fa 'links' -d 'The linked output: every pair decided as a match, by a reviewer or by the model.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical export labels" include-unsure' -l 'include-unsure' -d 'Write unsure verdicts too, as 0.5.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical export labels" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical export model" include-u' -l 'include-u' -d 'Write the re-estimated u as well (candidate-pair u).'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical export model" include-lambda' -l 'include-lambda' -d 'Write the re-estimated λ as probability_two_random_records_match.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical export model" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical export decisions" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical export links" clusters' -l 'clusters' -d 'Write every record with its cluster id instead of the links.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical export links" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical verify" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical reviewers" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical reviewers" -eq 1' -fa 'add' -d 'Register an account (or change its role).'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical reviewers" -eq 1' -fa 'list' -d 'List the registered accounts and their roles.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical reviewers" -eq 1' -fa 'remove' -d 'Unregister an account; its claims go back to the queue.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical reviewers" -eq 1' -fa 'reserve' -d 'Supervisors: keep part of the queue for a reviewer (a probability band, or a share).'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical reviewers" -eq 1' -fa 'unreserve' -d 'Supervisors: end every reservation of a reviewer.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical reviewers" -eq 1' -fa 'mask' -d 'Supervisors: make masked review the queue\'s default (on), or not (off).'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical reviewers add" role' -l 'role' -d 'reviewer, supervisor or quality-lead.' -rfka 'reviewer supervisor quality-lead'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical reviewers add" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical reviewers list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical reviewers remove" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical reviewers reserve" band' -l 'band' -d 'Pairs whose match probability lies in LOW:HIGH.' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical reviewers reserve" share' -l 'share' -d 'A share of the pending pairs, in (0, 1].' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical reviewers reserve" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical reviewers unreserve" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical reviewers mask" -eq 1' -fka 'on off'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical reviewers mask" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical qa" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical qa" -eq 1' -fa 'sample' -d 'Pick decided pairs for a blind second review by a different reviewer.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical qa" -eq 1' -fa 'report' -d 'Agreement between first and second reviews: rate, Cohen\'s kappa with a 95% interval, confusion table, by band and by reviewer, and the disputes.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical qa" -eq 1' -fa 'audit' -d 'Draw an audit: a probability sample of the pairs the model decided on its own.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_positional "clerical qa" -eq 1' -fa 'quality' -d 'Estimated precision, recall and F1 of the queue\'s final decisions, with 95% intervals.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical qa sample" fraction' -l 'fraction' -d 'Sample this share of the decided pairs.' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical qa sample" count' -l 'count' -d 'Sample this many decided pairs.' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical qa sample" stratify' -l 'stratify' -d 'Stratify by band (match probability shown, in tenths) or reviewer (the first reviewer).' -rfka 'band reviewer'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical qa sample" seed' -l 'seed' -d 'Seed for the random choice.' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical qa sample" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical qa report" json' -l 'json' -d 'Print JSON.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical qa report" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical qa audit" count' -l 'count' -d 'Draw this many pairs.' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical qa audit" fraction' -l 'fraction' -d 'Draw this share of the eligible pairs, in (0, 1].' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical qa audit" stratify' -l 'stratify' -d 'none (simple random) or band (decision side × probability band).' -rfka 'none band'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical qa audit" allocation' -l 'allocation' -d 'With --stratify band: proportional (to each stratum\'s size) or neyman (least variance).' -rfka 'proportional neyman'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical qa audit" share' -l 'share' -d 'Share of the pairs offered to reviewers that come from the audit, in [0, 1].' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical qa audit" seed' -l 'seed' -d 'Seed for the random draw.' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical qa audit" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical qa quality" json' -l 'json' -d 'Print JSON.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical qa quality" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical dashboard" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical import-labels" reviewer' -l 'reviewer' -d 'The reviewer the decisions are recorded under.' -rfka ''
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical import-labels" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'clerical' -n '__clerical_should_offer_completions_for_flags_or_options "clerical copy" h help' -s 'h' -l 'help' -d 'Show help information.'
