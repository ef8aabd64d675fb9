@{
    RootModule           = 'SpliceModule.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '6f0d2a8e-5a3c-4a57-9c1e-2d7f4e9b1c35'
    Author               = 'SpliceModule contributors'
    CompanyName          = 'SpliceModule contributors'
    Copyright            = '(c) SpliceModule contributors. MIT licence.'
    Description          = 'Linux zero-copy file and pipe transfers for PowerShell: Copy-SpliceItem (reflink, copy_file_range, splice, sendfile) and pipeline-bound kernel pipes built on splice(2), tee(2) and vmsplice(2).'
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
            ReleaseNotes = @'
0.1.0 - first release.
- Copy-SpliceItem copies files by reflink, copy_file_range, splice, sendfile or read/write, fastest first, and reports the method used; -Method forces one.
- New-KernelPipe, Close-SpliceDescriptor and Get-SpliceCapability expose kernel pipes and what this system offers.
- Full help (Get-Help -Full, about_SpliceModule), views, tab completion.
- On Windows and macOS the module imports and Copy-SpliceItem uses the platform's own copy (PlatformCopy).
The full list of changes is in CHANGELOG.md.
'@
        }
    }
}
