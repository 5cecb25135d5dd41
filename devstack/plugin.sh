# shellcheck shell=bash
# plugin.sh - DevStack plugin for Tenks: dispatches DevStack's phases to
# the functions in devstack/lib/tenks (https://docs.openstack.org/devstack/
# latest/plugins.html).
#
#   stack install      install Tenks from TENKS_DIR, and libvirt / OVS
#   stack post-config  write tenks.conf and the cluster file, make bridges
#   stack extra        deploy and enrol the cluster (Tenks after Ironic)
#   stack test-config  the same with Tenks before Ironic; tempest.conf
#   unstack            tear the cluster down
#   clean              remove Tenks' state, logs and configuration

# shellcheck source=devstack/lib/tenks
source "$TENKS_DIR/devstack/lib/tenks"

if is_service_enabled tenks; then
    if [[ "$1" == "stack" && "$2" == "install" ]]; then
        echo_summary "Installing Tenks"
        install_tenks
    elif [[ "$1" == "stack" && "$2" == "post-config" ]]; then
        echo_summary "Configuring Tenks"
        configure_tenks
        create_tenks_source_bridges
    elif [[ "$1" == "stack" && "$2" == "extra" ]]; then
        if _tenks_before_ironic; then
            echo_summary "Tenks deploys at test-config, once Ironic runs"
        else
            echo_summary "Deploying the Tenks cluster"
            deploy_tenks
        fi
    elif [[ "$1" == "stack" && "$2" == "test-config" ]]; then
        if _tenks_before_ironic; then
            echo_summary "Deploying the Tenks cluster"
            deploy_tenks
        fi
        if is_service_enabled tempest; then
            echo_summary "Configuring Tempest for Tenks"
            configure_tempest_for_tenks
        fi
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
