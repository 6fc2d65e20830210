#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# complete.sh COMPLETION LINE - print, one a line, what bash completion
# offers for LINE (the cursor at its end), as an interactive bash would:
# bash-completion's helpers loaded, LINE split into COMP_WORDS at blanks and
# at the characters of COMP_WORDBREAKS (as readline does: "rsa:3" is three
# words), then the function that COMPLETION registered for the command.

source /usr/share/bash-completion/bash_completion || exit 3
source "$1" || exit 3
COMP_LINE=$2
COMP_POINT=${#COMP_LINE}
COMP_WORDS=()
word="" breaks=${COMP_WORDBREAKS//[[:space:]]/}
prev_break=0
for ((k = 0; k < ${#COMP_LINE}; k++)); do
    c=${COMP_LINE:k:1}
    if [[ $c == [[:space:]] ]]; then
        [[ -n $word ]] && COMP_WORDS+=("$word")
        word="" prev_break=0
    elif [[ $breaks == *"$c"* ]]; then
        if ((prev_break)); then
            word+=$c
        else
            [[ -n $word ]] && COMP_WORDS+=("$word")
            word=$c prev_break=1
        fi
    else
        if ((prev_break)); then
            COMP_WORDS+=("$word")
            word=""
        fi
        word+=$c prev_break=0
    fi
done
COMP_WORDS+=("$word")    # the word under the cursor, maybe empty
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
spec=$(complete -p "${COMP_WORDS[0]}") || exit 4
func=${spec##*-F }
func=${func%% *}
COMPREPLY=()
"$func" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]:-}"
((${#COMPREPLY[@]} == 0)) || printf '%s\n' "${COMPREPLY[@]}"
