# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Every variable of the Ansible Tenks, its roles and its playbooks.

The cluster file reads those that change what is built (tenks.config's
TOP_LEVEL and the libvirt role variables below). Those that only made
sense to Ansible are accepted and named in one warning: ANSIBLE_ONLY
says, per variable, why Tenks has no use for it. README.rst's "Coming
from the Ansible Tenks" lists both; tests/unit/test_variables.py keeps the
three in step.
"""

# The original's own variables (its group_vars, host_vars and playbooks)
# that Tenks reads with their meaning; tenks.config.TOP_LEVEL has them.
ORIGINAL = frozenset([
    'bmc_emulators', 'bridge_prefix', 'bridge_type', 'default_boot_mode',
    'default_ironic_driver', 'deploy_kernel', 'deploy_ramdisk',
    'ipmi_address', 'ipmi_password', 'ipmi_port_range_end',
    'ipmi_port_range_start', 'ipmi_username', 'libvirt_local_uri',
    'libvirt_pool_name', 'libvirt_pool_path', 'libvirt_vm_emulator',
    'libvirt_vm_engine', 'log_directory', 'node_name_prefix', 'node_types',
    'nova_flavors', 'physnet_mappings', 'redfish_address',
    'redfish_password', 'redfish_username', 'specs', 'state_file_path',
    'vol_name_prefix', 'wait_for_placement',
])

# Variables of the stackhpc libvirt-vm and libvirt-host roles that Tenks
# honours, with the original's meaning (see tenks.config.settings).
ROLE_VARIABLES = frozenset([
    'libvirt_cpu_mode_default', 'libvirt_custom_socket_path',
    'libvirt_host_install_daemon', 'libvirt_pool_group',
    'libvirt_pool_mode', 'libvirt_pool_owner', 'libvirt_pool_type',
    'libvirt_vm_arch', 'libvirt_vm_default_console_log_dir',
    'libvirt_vm_log_owner', 'libvirt_vm_ovmf_efi_firmware_path',
    'libvirt_vm_ovmf_efi_variable_store_format',
    'libvirt_vm_ovmf_efi_variable_store_path',
    'libvirt_vm_trust_guest_rx_filters',
])

_VENV = 'Tenks runs from its own installation; it makes no virtualenv'
_NAMES = 'Tenks names its links itself (see README, Naming)'
_ROLE = 'a parameter the original playbooks passed to their roles'
_HOST = ('host set-up is tools/setup-host.sh\'s, and Tenks changes no '
         'daemon configuration')
_UNUSED = 'not used by the original either'

ANSIBLE_ONLY = dict(
    [(name, _VENV) for name in (
        'virtualenv_path', 'python_upper_constraints_url', 'ironic_python',
        'ironic_virtualenv_path', 'tenks_src_path')]
    + [(name, _NAMES) for name in (
        'veth_prefix', 'veth_bridge_peer_suffix',
        'veth_bridge_source_suffix', 'veth_node_peer_suffix',
        'veth_node_source_suffix', 'veth_bridge_ovs_suffix',
        'veth_node_ovs_suffix')]
    + [(name, _ROLE) for name in (
        'ironic_nodes', 'ironic_hypervisor', 'ironic_deploy_kernel',
        'ironic_deploy_ramdisk', 'ironic_interfaces',
        'ironic_python_upper_constraints_url', 'flavors',
        'flavors_virtualenv_path', 'flavors_python_upper_constraints_url',
        'flavors_state', 'sushy_tools_virtualenv_path',
        'sushy_python_upper_constraints_url', 'sushy_allowed_nodes',
        'sushy_redfish_address', 'sushy_log_directory',
        'sushy_libvirt_uri', 'veth_pair_plug_into_source',
        'veth_pair_state', 'vbmcd_virtualenv_path',
        'vbmcd_python_upper_constraints_url', 'vbmcd_args',
        'vbmc_ipmi_address', 'vbmc_ipmi_port', 'vbmc_ipmi_username',
        'vbmc_ipmi_password', 'vbmc_domain', 'vbmc_log_directory',
        'vbmc_virtualenv_path', 'vbmc_state', 'vbmc_libvirt_uri',
        'wait_for_resources_required_resources', 'wait_for_resources_venv',
        'wait_for_resources_retry_limit', 'wait_for_resources_delay',
        'wait_for_resources_python_upper_constraints_url',
        'wait_for_resources_python_requirements_path', 'libvirt_vms',
        'libvirt_vm_uri', 'libvirt_vm_virsh_default_env',
        'libvirt_vm_script_env', 'libvirt_host_pools', 'libvirt_host_uri',
        'libvirt_host_socket_dir', 'libvirt_host_pid_path',
        'libvirt_host_require_vt', 'libvirt_host_enable_efi_support')]
    + [(name, _HOST) for name in (
        'system_requirements', 'libvirt_custom_pid_path',
        'libvirt_host_networks', 'libvirt_host_qemu_emulators',
        'libvirt_host_var_prefix', 'libvirt_host_libvirtd_args',
        'libvirt_host_python3', 'libvirt_host_install_client',
        'libvirt_host_extra_daemon_packages',
        'libvirt_host_extra_client_packages',
        'libvirt_host_libvirtd_conf_enabled', 'libvirt_host_libvirtd_conf',
        'libvirt_host_qemu_conf_enabled', 'libvirt_host_qemu_conf',
        'libvirt_host_enable_sasl_support', 'libvirt_host_sasl_conf_enabled',
        'libvirt_host_sasl_conf', 'libvirt_host_sasl_mech_list',
        'libvirt_host_sasl_credentials', 'libvirt_host_sasl_authname',
        'libvirt_host_sasl_password', 'libvirt_host_sasl_auth_conf_enabled',
        'libvirt_host_sasl_auth_conf', 'libvirt_host_sasl_auth_conf_filename',
        'libvirt_host_sasl_auth_conf_owner',
        'libvirt_host_sasl_auth_conf_group',
        'libvirt_host_sasl_auth_conf_mode', 'libvirt_host_tcp_listen',
        'libvirt_host_tcp_listen_address', 'libvirt_host_tls_listen',
        'libvirt_host_tls_listen_address', 'libvirt_host_tls_server_cert',
        'libvirt_host_tls_server_key', 'libvirt_host_tls_client_cert',
        'libvirt_host_tls_client_key', 'libvirt_host_tls_cacert',
        'libvirt_host_qemu_tls_enabled', 'libvirt_host_qemu_user',
        'libvirt_host_qemu_group', 'libvirt_host_vnc_tls_enabled',
        'libvirt_host_configure_apparmor')]
    + [(name, _UNUSED) for name in (
        'allocations_file_path', 'wait_for_ironic_resources',
        'wait_for_ironic_resources_timeout')],
    cmd='the Ansible entry points read it (ansible/deploy.yml '
        '-e cmd=teardown); the tenks command has deploy and teardown',
    libvirt_pool_capacity='directory pools, the only kind, have none',
    libvirt_require_vt='libvirt_vm_engine auto already falls back to '
                       'plain QEMU',
    sushy_emulator_conf_path='the emulator\'s files live in Tenks\' state '
                             'directory',
    tenks_ip_path='Tenks finds ip on the PATH',
    libvirt_vm_clock_offset='Tenks\' nodes keep UTC, as Ironic expects',
    libvirt_vm_sudo='Tenks runs as root on each hypervisor',
    libvirt_vm_default_uuid_deterministic='Tenks chooses each node\'s '
                                          'UUID once and keeps it',
    libvirt_vm_image_cache_path='Tenks\' nodes boot from no image',
    libvirt_image_cache_path='Tenks\' nodes boot from no image',
    libvirt_volume_default_images_path='volumes live in the pool',
    libvirt_volume_default_type='volumes are pool volumes',
    libvirt_volume_default_format='volumes are qcow2',
    libvirt_volume_default_device='volumes are disks',
)
# Ansible's own variables (ansible_python_interpreter, ansible_user...)
# configure Ansible, never what is built.
ANSIBLE_PREFIX = 'ansible_'


def ansible_only(key):
    """Why Tenks ignores the variable key, or None if it is not ignored."""
    if key in ANSIBLE_ONLY:
        return ANSIBLE_ONLY[key]
    if isinstance(key, str) and key.startswith(ANSIBLE_PREFIX):
        return 'it configures Ansible'
    return None
