@{
    RootModule           = 'SpliceModule.dll'
    ModuleVersion        = '0.2.0'
    GUID                 = '6f0d2a8e-5a3c-4a57-9c1e-2d7f4e9b1c35'
    Author               = 'SpliceModule contributors'
    CompanyName          = 'SpliceModule contributors'
    Copyright            = '(c) SpliceModule contributors. MIT licence.'
    Description          = 'Linux zero-copy file and pipe transfers for PowerShell: Copy-SpliceItem (reflink, copy_file_range, splice, sendfile) and pipeline-bound kernel pipes built on splice(2), tee(2) and vmsplice(2).'
    # The minimum the module is built for (.NET 8); the tests run on PowerShell 7.6.9 (README).
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('SpliceModule.format.ps1xml')
    CmdletsToExport      = @(
        'Close-SpliceDescriptor'
        'Copy-SpliceItem'
        'Get-SpliceCapability'
        'Invoke-Splice'
        'Invoke-Tee'
        'New-KernelPipe'
        'Open-SpliceDescriptor'
        'Read-KernelPipe'
        'Write-VmSplice'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Linux', 'splice', 'tee', 'vmsplice', 'zero-copy', 'copy_file_range', 'reflink', 'sendfile', 'Copy', 'Pipe', 'PSEdition_Core')
            LicenseUri   = 'https://github.com/splicemodule/SpliceModule/blob/main/LICENSE'
            ProjectUri   = 'https://github.com/splicemodule/SpliceModule'
            # build.ps1 writes the release notes from CHANGELOG.md's section for ModuleVersion, and
            # adds the PSCommand_/PSCmdlet_ tags from CmdletsToExport: a release bumps ModuleVersion.
            ReleaseNotes = ''
        }
    }
}
