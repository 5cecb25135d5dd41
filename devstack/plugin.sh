# shellcheck shell=bash
# plugin.sh - DevStack plugin for Tenks
#
# DevStack sources this file with the mode and phase as arguments
# (https://docs.openstack.org/devstack/latest/plugins.html):
#
#   stack install      install Tenks from TENKS_DIR and prepare the host
#   stack post-config  write tenks.conf and the cluster file
#   stack extra        deploy the cluster and enrol it into Ironic
#   unstack            tear the cluster down
#   clean              remove Tenks' state and logs
#
# DevStack runs the plugins in their enable_plugin order at every phase.
# Deploy and teardown need Ironic running, and Ironic's plugin starts it
# at its extra phase and stops it at its unstack phase. So with
# ``enable_plugin tenks`` after ``enable_plugin ironic`` Tenks deploys at
# extra, but Ironic is gone when Tenks' unstack comes; with it before,
# Tenks deploys at test-config instead (after every extra phase) and tears
# down while Ironic still runs.
#
# Functions such as iniset, setup_develop, echo_summary and warn, and
# globals such as STACK_USER and DEVSTACK_PLUGINS, come from DevStack.

# The tenks command, in the Python environment DevStack installs into.
function _tenks_bin {
    echo "$(get_python_exec_prefix)/tenks"
}

# Whether Ironic's plugin is enabled after this one, so that Ironic only
# starts after this plugin's extra phase.
function _tenks_before_ironic {
    local order=',tenks,([^,]*,)*ironic,'
    [[ ",${DEVSTACK_PLUGINS:-}," =~ $order ]]
}

# The cluster file deploy and teardown use.
function _tenks_cluster_file {
    echo "${TENKS_CONFIG_FILE:-$TENKS_CLUSTER_FILE}"
}

# Run tenks as root (it drives libvirt, links and Open vSwitch), with the
# clouds.yaml the caller uses when one is named.
function _tenks {
    local -a cmd=("$(_tenks_bin)" --config-file "$TENKS_CONF_FILE")
    if [[ "$(trueorfalse False TENKS_DEBUG)" == "True" ]]; then
        cmd+=(--debug)
    fi
    local -a env_args=()
    if [[ -n "${OS_CLIENT_CONFIG_FILE:-}" ]]; then
        env_args+=("OS_CLIENT_CONFIG_FILE=$OS_CLIENT_CONFIG_FILE")
    fi
    sudo env "${env_args[@]}" "${cmd[@]}" "$@"
}

# A YAML single-quoted string.
function _tenks_yaml_str {
    local value=$1
    printf "'%s'" "${value//\'/\'\'}"
}

# Items of a comma-separated list, one a line, without blanks.
function _tenks_list {
    local item
    local -a items
    IFS=, read -r -a items <<< "$1"
    for item in "${items[@]}"; do
        item=${item//[[:space:]]/}
        if [[ -n "$item" ]]; then
            echo "$item"
        fi
    done
}

function install_tenks {
    if [[ "$(trueorfalse True TENKS_SETUP_HOST)" == "True" ]]; then
        # Before the install: libvirt-python builds against libvirt-dev.
        sudo "$TENKS_DIR/tools/setup-host.sh"
    fi
    setup_develop "$TENKS_DIR"
}

function configure_tenks_conf {
    local conf=$TENKS_CONF_FILE
    iniset "$conf" DEFAULT state_dir "$TENKS_STATE_DIR"
    iniset "$conf" DEFAULT log_dir "$TENKS_LOG_DIR"
    iniset "$conf" ironic cloud "$TENKS_CLOUD"
    iniset "$conf" ironic target_state "$TENKS_TARGET_STATE"
    iniset "$conf" network bridge_type "$TENKS_BRIDGE_TYPE"
    iniset "$conf" network ovs_datapath_type "$TENKS_OVS_DATAPATH_TYPE"
    iniset "$conf" network bridge_prefix "$TENKS_BRIDGE_PREFIX"
    iniset "$conf" libvirt engine "$TENKS_LIBVIRT_ENGINE"
    iniset "$conf" libvirt pool_name "$TENKS_POOL_NAME"
    iniset "$conf" libvirt pool_path "$TENKS_POOL_PATH"
    iniset "$conf" ipmi address "$TENKS_BMC_ADDRESS"
    iniset "$conf" ipmi port_range_start "$TENKS_IPMI_PORT_RANGE_START"
    iniset "$conf" ipmi port_range_end "$TENKS_IPMI_PORT_RANGE_END"
    iniset "$conf" ipmi vbmcd_control_port "$TENKS_VBMCD_CONTROL_PORT"
    iniset "$conf" redfish address "$TENKS_BMC_ADDRESS"
    iniset "$conf" redfish port "$TENKS_REDFISH_PORT"
}

# The cluster file, from the TENKS_* node, network and Ironic settings.
function write_tenks_cluster_file {
    local physnet mapping wait_for_placement
    local -a physnets mappings
    mapfile -t physnets < <(_tenks_list "$TENKS_PHYSNETS")
    mapfile -t mappings < <(_tenks_list "$TENKS_PHYSNET_MAPPINGS")
    wait_for_placement=$(trueorfalse False TENKS_WAIT_FOR_PLACEMENT)
    {
        echo "# Written by the Tenks DevStack plugin from TENKS_* settings;"
        echo "# stack.sh writes it again. TENKS_CONFIG_FILE names your own."
        echo "node_types:"
        echo "  devstack:"
        echo "    memory_mb: $TENKS_NODE_MEMORY_MB"
        echo "    vcpus: $TENKS_NODE_VCPUS"
        echo "    volumes:"
        echo "      - capacity: $(_tenks_yaml_str "$TENKS_NODE_DISK")"
        echo "    physical_networks:"
        for physnet in "${physnets[@]}"; do
            echo "      - $(_tenks_yaml_str "$physnet")"
        done
        echo "    ironic_driver: $(_tenks_yaml_str "$TENKS_DRIVER")"
        echo "specs:"
        echo "  - type: devstack"
        echo "    count: $TENKS_NODE_COUNT"
        echo "    node_name_prefix: $(_tenks_yaml_str "$TENKS_NODE_NAME_PREFIX")"
        echo "    ironic_config:"
        echo "      resource_class: $(_tenks_yaml_str "$TENKS_RESOURCE_CLASS")"
        if [[ -n "$TENKS_NOVA_FLAVOR" ]]; then
            echo "nova_flavors:"
            echo "  - name: $(_tenks_yaml_str "$TENKS_NOVA_FLAVOR")"
            echo "    resource_class: $(_tenks_yaml_str "$TENKS_RESOURCE_CLASS")"
            echo "    node_type: devstack"
        fi
        echo "physnet_mappings:"
        for mapping in "${mappings[@]}"; do
            echo "  $(_tenks_yaml_str "${mapping%%:*}"):" \
                "$(_tenks_yaml_str "${mapping#*:}")"
        done
        echo "default_boot_mode: $(_tenks_yaml_str "$TENKS_BOOT_MODE")"
        if [[ -n "$TENKS_DEPLOY_KERNEL" ]]; then
            echo "deploy_kernel: $(_tenks_yaml_str "$TENKS_DEPLOY_KERNEL")"
        fi
        if [[ -n "$TENKS_DEPLOY_RAMDISK" ]]; then
            echo "deploy_ramdisk: $(_tenks_yaml_str "$TENKS_DEPLOY_RAMDISK")"
        fi
        echo "wait_for_placement: ${wait_for_placement,,}"
        echo "bmc_emulators:"
        echo "  ipmi: $(_tenks_yaml_str "$TENKS_IPMI_EMULATOR")"
    } > "$TENKS_CLUSTER_FILE"
}

function configure_tenks {
    local cluster_dir
    cluster_dir=$(dirname "$TENKS_CLUSTER_FILE")
    sudo install -d -o "$STACK_USER" "$TENKS_CONF_DIR"
    if [[ "$cluster_dir" != "$TENKS_CONF_DIR" ]]; then
        sudo install -d -o "$STACK_USER" "$cluster_dir"
    fi
    configure_tenks_conf
    if [[ -n "$TENKS_CONFIG_FILE" ]]; then
        if [[ ! -f "$TENKS_CONFIG_FILE" ]]; then
            die $LINENO "TENKS_CONFIG_FILE $TENKS_CONFIG_FILE does not exist"
        fi
    else
        write_tenks_cluster_file
    fi
    # Fail here rather than at deploy time: the check changes nothing.
    "$(_tenks_bin)" --config-file "$TENKS_CONF_FILE" validate \
        "$(_tenks_cluster_file)" \
        || die $LINENO "Tenks rejected $(_tenks_cluster_file)"
}

function deploy_tenks {
    _tenks deploy "$(_tenks_cluster_file)" \
        || die $LINENO "tenks deploy $(_tenks_cluster_file) failed"
    _tenks list "$(_tenks_cluster_file)"
}

function teardown_tenks {
    # A teardown that succeeds removes the state file: without one there is
    # nothing to remove (clean.sh runs unstack.sh again).
    if [[ ! -f "$TENKS_STATE_DIR/state.json" ]]; then
        return 0
    fi
    # unstack.sh goes on whatever happens: warn, do not die.
    if ! _tenks teardown "$(_tenks_cluster_file)"; then
        warn $LINENO "tenks teardown failed, the cluster is left in place." \
            "Teardown needs Ironic running (enable_plugin tenks before" \
            "ironic tears down before Ironic stops); with Ironic up, run:" \
            "sudo $(_tenks_bin) --config-file $TENKS_CONF_FILE teardown" \
            "$(_tenks_cluster_file)"
    fi
}

function cleanup_tenks {
    if [[ -f "$TENKS_STATE_DIR/state.json" ]]; then
        warn $LINENO "$TENKS_STATE_DIR/state.json still records a cluster:" \
            "keeping Tenks' state, logs and configuration so that tenks" \
            "teardown can remove it"
        return 0
    fi
    sudo rm -rf "$TENKS_STATE_DIR" "$TENKS_LOG_DIR"
    sudo rm -f "$TENKS_CONF_FILE"
    if [[ -z "$TENKS_CONFIG_FILE" ]]; then
        sudo rm -f "$TENKS_CLUSTER_FILE"
    fi
}

if is_service_enabled tenks; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing Tenks"
        install_tenks
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring Tenks"
        configure_tenks
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        if _tenks_before_ironic; then
            echo_summary "Tenks deploys at test-config, once Ironic runs"
        else
            echo_summary "Deploying the Tenks cluster"
            deploy_tenks
        fi
    elif [[ "$1" == "stack" && "$2" == "test-config" ]] \
            && _tenks_before_ironic; then
        echo_summary "Deploying the Tenks cluster"
        deploy_tenks
    fi

    if [[ "$1" == "unstack" ]]; then
        echo_summary "Tearing down the Tenks cluster"
        teardown_tenks
    fi

    if [[ "$1" == "clean" ]]; then
        echo_summary "Removing Tenks state and logs"
        cleanup_tenks
    fi
fi
