# shellcheck shell=bash
# devstack_stub.sh - the few DevStack functions devstack/plugin.sh and
# devstack/settings call, for tests/functional/test_devstack.py.
#
# Each behaves as DevStack's own (functions-common, inc/ini-config,
# inc/python) does, except that installing only records the command:
# Tenks is already installed in the test's environment. Commands are
# recorded, one a line, in $DEVSTACK_STUB_LOG.
#
# Globals a test may set: DEST, DATA_DIR, LOGDIR, STACK_USER,
# ENABLED_SERVICES, DEVSTACK_PLUGINS, GLOBAL_VENV and DEVSTACK_VENV.

DEVSTACK_STUB_LOG=${DEVSTACK_STUB_LOG:-/dev/null}
DEST=${DEST:-/opt/stack}
DATA_DIR=${DATA_DIR:-$DEST/data}
LOGDIR=${LOGDIR:-$DEST/logs}
STACK_USER=${STACK_USER:-$(id -un)}
ENABLED_SERVICES=${ENABLED_SERVICES:-}
DEVSTACK_PLUGINS=${DEVSTACK_PLUGINS:-ironic,tenks}
GLOBAL_VENV=${GLOBAL_VENV:-True}
DEVSTACK_VENV=${DEVSTACK_VENV:-$DATA_DIR/venv}

function _stub_record {
    echo "$*" >> "$DEVSTACK_STUB_LOG"
}

# die $LINENO "message": report and exit with the last status (1 if 0).
function die {
    # shellcheck disable=SC2319  # the status of the caller's last command
    local exitcode=$?
    if [[ $exitcode == 0 ]]; then
        exitcode=1
    fi
    echo "[ERROR] ${BASH_SOURCE[1]}:$1 ${*:2}" >&2
    exit "$exitcode"
}

# warn $LINENO "message": report on stdout and go on.
function warn {
    local exitcode=$?
    echo "[WARNING] ${BASH_SOURCE[1]}:$1 ${*:2}"
    return "$exitcode"
}

function echo_summary {
    echo "$@"
}

# trueorfalse default VARNAME
function trueorfalse {
    local default=$1
    if [[ -z "$2" ]]; then
        die $LINENO "variable to normalize required"
    fi
    local testval=${!2:-}
    case "$testval" in
        "1" | [yY]es | "YES" | [tT]rue | "TRUE" ) echo "True" ;;
        "0" | [nN]o | "NO" | [fF]alse | "FALSE" ) echo "False" ;;
        * ) echo "$default" ;;
    esac
}

function enable_service {
    local service
    for service in "$@"; do
        if [[ ",$ENABLED_SERVICES," != *",$service,"* ]]; then
            ENABLED_SERVICES+=",$service"
        fi
    done
    ENABLED_SERVICES=${ENABLED_SERVICES#,}
}

# True if any of the services is in ENABLED_SERVICES.
function is_service_enabled {
    local service
    for service in "$@"; do
        if [[ ",$ENABLED_SERVICES," == *",$service,"* ]]; then
            return 0
        fi
    done
    return 1
}

function ini_has_option {
    local file=$1 section=$2 option=$3 line
    line=$(sed -ne "/^\[$section\]/,/^\[.*\]/ { /^${option}[ \t]*=/ p; }" \
        "$file")
    [[ -n "$line" ]]
}

# iniset config-file section option value: set it, adding the section, the
# option and the file as needed.
function iniset {
    local file=$1 section=$2 option=$3 value=$4 sep
    value=$(echo "$value" | sed -e 's/\\/\\\\/g' -e 's/&/\\&/g')
    if [[ -z "$section" || -z "$option" ]]; then
        return
    fi
    if ! grep -q "^\[$section\]" "$file" 2>/dev/null; then
        echo -e "\n[$section]" >> "$file"
    fi
    if ! ini_has_option "$file" "$section" "$option"; then
        sed -i -e "/^\[$section\]/ a\\
$option = $value
" "$file"
    else
        sep=$(echo -ne "\x01")
        sed -i -e "/^\[${section}\]/,/^\[.*\]/ s${sep}^\(${option}[ \t]*=[ \t]*\).*\$${sep}\1${value}${sep}" "$file"
    fi
}

# The directory the installed commands are in.
function get_python_exec_prefix {
    if [[ "$GLOBAL_VENV" == "True" ]]; then
        echo "$DEVSTACK_VENV/bin"
    else
        echo "/usr/local/bin"
    fi
}

# pip_install args: DevStack runs pip install with the upper constraints.
function pip_install {
    _stub_record "pip_install $*"
}

# setup_develop project_dir [extras]: DevStack drops the project from the
# upper constraints, then installs it editable with pip_install.
function setup_develop {
    local project_dir=$1 extras=${2:-}
    _stub_record "setup_develop $*"
    project_dir=$(cd "$project_dir" && pwd)
    pip_install -e "$project_dir${extras:+[$extras]}"
}

# The test runs as root: sudo records the command and runs it.
function sudo {
    _stub_record "sudo $*"
    "$@"
}
